"""Commands for a Ray cluster: `submit`, `status`, `logs`, `stop`."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer
from typer.core import TyperCommand

from jobpack.cli.app import app
from jobpack.cli.common import (
    JobIdArgument,
    RayOption,
    analyze_job,
    print_diagnostics_to_stderr,
    source_date_epoch,
)
from jobpack.cli.options import DEFAULT_JOB, JobOptions, shared_options

if TYPE_CHECKING:
    from jobpack.destinations import JobStatus
    from jobpack.destinations.ray import RayCluster


class _JobArgsCommand(TyperCommand):
    """Keeps what follows `--` for the job, even when no ARCHIVE precedes it."""

    def parse_args(self, ctx: typer.Context, args: list[str]) -> list[str]:  # type: ignore[override]
        if "--" in args:
            index = args.index("--")
            args, ctx.meta["job_args"] = args[:index], args[index + 1:]
        return super().parse_args(ctx, args)


@app.command("submit", cls=_JobArgsCommand)
@shared_options(omit={"entries"})
def submit_command(
    ctx: typer.Context,
    ray: RayOption,
    archive: Annotated[Optional[Path], typer.Argument(  # noqa: UP045
        help="A .jobpack.zip archive (or build one with --config).", show_default=False)
    ] = None,
    job: JobOptions = DEFAULT_JOB,
    name: Annotated[Optional[str], typer.Option(  # noqa: UP045
        "--name", help="A name for the job, shown by Ray.")] = None,
    num_cpus: Annotated[Optional[float], typer.Option(  # noqa: UP045
        "--num-cpus", help="CPUs reserved for the job.")] = None,
    num_gpus: Annotated[Optional[float], typer.Option(  # noqa: UP045
        "--num-gpus", help="GPUs reserved for the job.")] = None,
    memory: Annotated[Optional[str], typer.Option(  # noqa: UP045
        "--memory", help="Memory reserved for the job, e.g. 4G.")] = None,
    env: Annotated[Optional[list[str]], typer.Option(  # noqa: UP045
        "--env", help="KEY=VALUE set in the job's environment (repeatable).")] = None,
    no_wait: Annotated[bool, typer.Option(
        "--no-wait", help="Print the submission id and return.")] = False,
    outputs_to: Annotated[Optional[str], typer.Option(  # noqa: UP045
        "--outputs-to", help="Where the job's declared outputs go, as the cluster sees it "
        "(shared storage).")] = None,
    upload_limit: Annotated[str, typer.Option(
        "--upload-limit", metavar="SIZE",
        help="The largest package the cluster takes in one upload (Ray's dashboard: 100 "
        "MiB); a dependency layer over it is sent in parts.")] = "100MiB",
) -> None:
    """Run an archive on a Ray cluster; stream its logs; exit with its status.

    Job arguments follow `--`. Ctrl-C asks whether to stop the job or detach.
    """
    import tempfile

    from jobpack.destinations import JobRequest, parse_env
    from jobpack.destinations.ray import RayCluster
    from jobpack.layout.sizes import parse_size

    try:
        request = JobRequest(args=tuple(ctx.meta.get("job_args", ())), name=name,
                         num_cpus=num_cpus, num_gpus=num_gpus,
                         memory=parse_size(memory) if memory is not None else None,
                         env=parse_env(env or []), outputs_to=outputs_to)
        limit = parse_size(upload_limit)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None
    if (archive is None) == (job.config is None):
        raise typer.BadParameter("give either ARCHIVE or --config")
    cluster = RayCluster(ray, upload_limit=limit)
    with tempfile.TemporaryDirectory(prefix="jobpack-submit-") as folder:
        if archive is None:
            archive = _build_for_submit(job, Path(folder))
        submission = cluster.submit(archive, request)
    typer.echo(f"{'uploaded' if submission.uploaded else 'cluster already has'} "
               f"{submission.package}", err=True)
    if submission.layers:
        typer.echo(f"dependency layers: {submission.layers - submission.layers_known} "
                   f"uploaded, {submission.layers_known} already on the cluster", err=True)
    typer.echo(f"sent {submission.sent} bytes", err=True)
    if no_wait:
        typer.echo(submission.job_id)
        return
    typer.echo(f"submitted {submission.job_id}", err=True)
    raise typer.Exit(_follow_job(cluster, submission.job_id))


def _build_for_submit(job: JobOptions, folder: Path) -> Path:
    from jobpack.library import build
    from jobpack.packager.api import archive_name

    analysis = analyze_job(job)
    print_diagnostics_to_stderr(analysis)
    result = build(analysis, folder / archive_name(analysis.manifest, analysis.root, job.config),
                   source_date_epoch=source_date_epoch(), ignore=job.ignore)
    typer.echo(f"built {result.path.name}  sha256:{result.sha256}", err=True)
    return result.path


def _follow_job(cluster: RayCluster, job_id: str) -> int:
    """Stream the job's logs until it ends; its exit code, or 130 when detached."""
    def on_state(status: JobStatus) -> None:
        if not status.finished:
            typer.echo(_status_line(status), err=True)

    try:
        for chunk in cluster.follow(job_id, on_state):
            sys.stdout.write(chunk)
            sys.stdout.flush()
    except KeyboardInterrupt:
        if not _stop_wanted():
            typer.echo(f"detached; {job_id} keeps running (jobpack logs {job_id} --ray "
                       f"{cluster.address} --follow)", err=True)
            return 130
        cluster.stop(job_id)
        typer.echo(f"stopping {job_id}", err=True)
        return _follow_job(cluster, job_id)
    status = cluster.status(job_id)
    if not status.finished or status.process_exit_code():
        typer.echo(_status_line(status), err=True)
    return int(status.process_exit_code())


def _stop_wanted() -> bool:
    if not sys.stdin.isatty():
        return False
    answer = typer.prompt("\nstop the job on the cluster, or detach and leave it running? "
                          "[stop/detach]", default="detach", show_default=False)
    return str(answer).strip().lower() in {"s", "stop"}


def _status_line(status: JobStatus) -> str:
    line = f"{status.job_id} {status.state}"
    if status.exit_code is not None:
        line += f" (exit code {status.exit_code})"
    # Ray appends the log's tail to a failure's message; the logs were shown already.
    message = status.message.strip().split(", last available logs")[0].splitlines()
    return f"{line}: {message[0]}" if message else line


@app.command("status")
def status_command(job_id: JobIdArgument, ray: RayOption) -> None:
    """Show a submitted job's state: PENDING, RUNNING, SUCCEEDED, FAILED or STOPPED."""
    from jobpack.destinations.ray import RayCluster

    typer.echo(_status_line(RayCluster(ray).status(job_id)))


@app.command("logs")
def logs_command(
    job_id: JobIdArgument,
    ray: RayOption,
    follow: Annotated[bool, typer.Option(
        "--follow", "-f", help="Keep printing until the job ends.")] = False,
) -> None:
    """Print a submitted job's logs."""
    from jobpack.destinations.ray import RayCluster

    cluster = RayCluster(ray)
    for chunk in cluster.follow(job_id) if follow else [cluster.logs(job_id)]:
        sys.stdout.write(chunk)
        sys.stdout.flush()


@app.command("stop")
def stop_command(job_id: JobIdArgument, ray: RayOption) -> None:
    """Ask a submitted job to stop."""
    from jobpack.destinations.ray import RayCluster

    stopped = RayCluster(ray).stop(job_id)
    typer.echo(f"{job_id}: {'stop requested' if stopped else 'had already finished'}")
