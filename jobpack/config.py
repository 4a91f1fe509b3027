"""Read a DataSphere-style job `config.yaml` into a validated `JobConfig`.

Every error names the config file, the key path (`env.python.root-paths[1]`) and, where
YAML gives one, the line. Keys only a cloud service can honour are accepted and reported
once as an info diagnostic, so a real DataSphere config never fails on them.
"""

from __future__ import annotations

import difflib
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from jobpack.diagnostics import CLOUD_ONLY_KEY, RUNTIME_VARIABLE, VARIABLE_TYPO
from jobpack.errors import ConfigError, TargetError
from jobpack.layout import VARIABLE
from jobpack.manifest import DataPath, Diagnostic, PipOptions
from jobpack.target import Target

NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# Variables the DataSphere service defines on the VM; the runner fills them from its
# environment (`DS_PROJECT_HOME=/mnt/project python3 job.zip`).
SERVICE_VARS = frozenset({"DS_PROJECT_HOME"})
MAX_CONFIG_BYTES = 1024 * 1024
MAX_NODES = 100_000  # values after YAML aliases are expanded ("billion laughs" stops here)
MAX_DEPTH = 64
# `$NAME` or an unclosed `${NAME`: how a `${NAME}` is mistyped
_NEAR_VARIABLE = re.compile(
    r"\$([A-Za-z_][A-Za-z0-9_]*)\b(?!\})|\$\{([A-Za-z_][A-Za-z0-9_]*)(?![A-Za-z0-9_}])")
_NULLS = {"", "~", "null", "Null", "NULL"}
_TRUE = {"true", "yes", "on"}
_FALSE = {"false", "no", "off"}
_TOP_KEYS = {"name", "desc", "cmd", "args", "inputs", "outputs", "env", "flags"}
CLOUD_KEYS = {
    "cloud-instance-types", "cloud-instance-type", "working-storage", "s3-mounts",
    "datasets", "output-datasets", "graceful-shutdown", "spark", "flags",
}
_ENV_KEYS = {"python", "vars", "docker"}
_PYTHON_KEYS = {
    "type", "version", "requirements-file", "local-paths", "root-paths", "root-path", "pip",
}
_PIP_KEYS = {"index-url", "extra-index-urls", "trusted-hosts", "no-deps"}


@dataclass(frozen=True)
class JobConfig:
    """A validated job config; paths are POSIX, relative to the config's folder."""

    file: Path
    cmd: str  # with ${ARGS} already substituted; ${INPUT/OUTPUT vars} are left for the runner
    name: str | None = None
    inputs: tuple[DataPath, ...] = ()
    outputs: tuple[DataPath, ...] = ()
    python_type: str = "auto"  # auto | manual (plain is decided from cmd)
    target: Target | None = None  # env.python.version
    requirements_file: str | None = None
    local_paths: tuple[str, ...] = ()
    root_paths: tuple[str, ...] = ()
    pip: PipOptions = field(default_factory=PipOptions)
    env_vars: tuple[tuple[str, str | None], ...] = ()
    python_configured: bool = False
    runtime_vars: tuple[str, ...] = ()  # ${VARS} of cmd the runner fills from its environment
    notes: tuple[Diagnostic, ...] = ()
    docker: bool = False  # env.docker: the cloud runs cmd in an image of its own
    # cloud-instance-type(s): the VM configurations the job may get, in order (g2.1, c1.4)
    instance_types: tuple[str, ...] = ()

    @property
    def root(self) -> Path:
        return self.file.parent


class _Reader:
    """Turns composed YAML nodes into values, remembering the line of every key path."""

    def __init__(self, file: Path) -> None:
        self.file = file
        self.display = file.name
        self.lines: dict[str, int] = {}
        self.nodes = 0

    def error(self, key: str | None, message: str) -> ConfigError:
        line = self.lines.get(key or "")
        return ConfigError(message, path=self.display, line=line, key=key)

    def load(self) -> dict[str, Any]:
        try:
            if self.file.is_file() and self.file.stat().st_size > MAX_CONFIG_BYTES:
                raise ConfigError(f"config is larger than {MAX_CONFIG_BYTES // 1024} KiB; "
                                  "a job config is a few lines", path=self.display)
            if not self.file.is_file() and self.file.exists():
                raise ConfigError("config is not a regular file", path=self.display)
            text = self.file.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise ConfigError("config file does not exist", path=str(self.file)) from None
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"cannot read config: {exc}", path=str(self.file)) from None
        try:
            node = yaml.compose(text, Loader=yaml.SafeLoader)
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            line = mark.line + 1 if mark is not None else None
            problem = exc.problem or exc.context or "invalid YAML"
            raise ConfigError(f"invalid YAML: {problem}", path=self.display, line=line) from None
        except yaml.YAMLError as exc:
            raise ConfigError(f"invalid YAML: {exc}", path=self.display) from None
        if node is None:
            raise ConfigError("config is empty (it needs at least `cmd`)", path=self.display)
        value = self._value(node, "", 0)
        if not isinstance(value, dict):
            raise self.error(None, "config must be a mapping of keys to values")
        return value

    def _value(self, node: yaml.Node, path: str, depth: int) -> Any:
        """Mappings, lists and strings: every scalar is read as its text, as DataSphere
        reads it (`version: 3.10` is "3.10", not the number 3.1); only an empty or `null`
        plain scalar is nothing."""
        self.nodes += 1
        if self.nodes > MAX_NODES or depth > MAX_DEPTH:
            raise self.error(path or None, "the config expands to too many values (YAML "
                             f"aliases nested too deep or more than {MAX_NODES} values)")
        self.lines.setdefault(path, node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode):
            result: dict[str, Any] = {}
            for key_node, value_node in node.value:
                if not isinstance(key_node, yaml.ScalarNode):
                    self.lines[path] = key_node.start_mark.line + 1
                    raise self.error(path or None, "a key must be plain text")
                key = str(key_node.value)
                child = f"{path}.{key}" if path else key
                if key in result:
                    self.lines[child] = key_node.start_mark.line + 1
                    raise self.error(child, "key is given twice")
                self.lines[child] = key_node.start_mark.line + 1
                result[key] = self._value(value_node, child, depth + 1)
            return result
        if isinstance(node, yaml.SequenceNode):
            return [self._value(item, f"{path}[{i}]", depth + 1)
                    for i, item in enumerate(node.value)]
        text = str(node.value)
        if isinstance(node, yaml.ScalarNode) and node.style is None and text in _NULLS:
            return None
        return text


def load_config(file: str | Path) -> JobConfig:
    """Read and validate `file`; raise `ConfigError` naming file, key and line."""
    path = Path(file).resolve()
    reader = _Reader(path)
    reader.display = str(file)
    data = reader.load()
    return _Validator(reader, data).config()


class _Validator:
    def __init__(self, reader: _Reader, data: dict[str, Any]) -> None:
        self.reader = reader
        self.data = data
        self.root = reader.file.parent
        self.notes: list[Diagnostic] = []

    def error(self, key: str, message: str) -> ConfigError:
        return self.reader.error(key, message)

    def config(self) -> JobConfig:
        data = self.data
        self._check_keys(data, _TOP_KEYS | CLOUD_KEYS, "")
        cloud = sorted(k for k in data if k in CLOUD_KEYS)
        cmd = self._string("cmd", required=True) or ""
        name = self._string("name")
        self._string("desc")
        args = self._mapping_of_strings("args")
        inputs = self._data_paths("inputs", must_exist=True)
        outputs = self._data_paths("outputs", must_exist=False)
        env = self._mapping("env")
        self._check_keys(env, _ENV_KEYS, "env")
        if "docker" in env:
            cloud.append("env.docker")
        env_vars = self._env_vars(env.get("vars"))
        python = self._python(env.get("python"))
        datasets = self._datasets()
        cmd, runtime = self._substitute(cmd, args, inputs, outputs, datasets)
        if cloud:
            self.notes.append(CLOUD_ONLY_KEY.at(self.reader.file.name, None,
                f"{', '.join(cloud)}: only the cloud service can honour "
                f"{'this key' if len(cloud) == 1 else 'these keys'}; jobpack ignores "
                f"{'it' if len(cloud) == 1 else 'them'}"))
        return JobConfig(file=self.reader.file, cmd=cmd, name=name, inputs=inputs,
                         outputs=outputs, env_vars=env_vars, notes=tuple(self.notes),
                         runtime_vars=runtime, docker="docker" in env,
                         instance_types=self._instance_types(), **python)

    # -- shapes --------------------------------------------------------------------------
    def _check_keys(self, mapping: dict[str, Any], allowed: set[str], path: str) -> None:
        for key in mapping:
            if key not in allowed:
                full = f"{path}.{key}" if path else key
                close = difflib.get_close_matches(key, sorted(allowed), n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                raise self.error(full, f"unknown key{hint}")

    def _string(self, key: str, *, required: bool = False, within: dict[str, Any] | None = None,
                path: str | None = None) -> str | None:
        source = self.data if within is None else within
        full = path or key
        if key not in source:
            if required:
                raise self.error(full, "required key is missing")
            return None
        value = source[key]
        if value is None and not required:
            return None
        if not isinstance(value, str):
            raise self.error(full, f"must be a string, not {_kind(value)}")
        text = value
        if required and not text.strip():
            raise self.error(full, "must not be empty")
        return text

    def _mapping(self, key: str, within: dict[str, Any] | None = None,
                 path: str | None = None) -> dict[str, Any]:
        source = self.data if within is None else within
        value = source.get(key)
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise self.error(path or key, f"must be a mapping, not {_kind(value)}")
        return value

    def _list(self, value: Any, path: str) -> list[Any]:
        if value is None:
            return []
        if not isinstance(value, list):
            raise self.error(path, f"must be a list, not {_kind(value)}")
        return value

    def _mapping_of_strings(self, key: str) -> dict[str, str]:
        mapping = self._mapping(key)
        for name, value in mapping.items():
            if value is not None and not isinstance(value, str):
                raise self.error(f"{key}.{name}", f"must be a string, not {_kind(value)}")
            if not NAME.fullmatch(name):
                raise self.error(f"{key}.{name}", f"{name!r} is not a valid variable name")
        return {name: value or "" for name, value in mapping.items()}

    # -- paths ---------------------------------------------------------------------------
    def _relative_path(self, value: Any, path: str, *, must_exist: bool) -> str:
        if not isinstance(value, str) or not value.strip():
            raise self.error(path, f"must be a path, not {_kind(value)}")
        candidate = Path(value)
        full = (candidate if candidate.is_absolute() else self.root / candidate).resolve()
        if not full.is_relative_to(self.root):
            raise self.error(path, f"{value!r} leaves the job folder {self.root}")
        if must_exist and not full.exists():
            raise self.error(path, f"{value!r} does not exist")
        return full.relative_to(self.root).as_posix() or "."

    def _data_paths(self, key: str, *, must_exist: bool) -> tuple[DataPath, ...]:
        result = []
        for index, item in enumerate(self._list(self.data.get(key), key)):
            path = f"{key}[{index}]"
            if isinstance(item, dict):
                if len(item) != 1:
                    raise self.error(path, "must be `path` or `path: VARIABLE`")
                (raw, var), = item.items()
                if var is not None and (not isinstance(var, str) or not NAME.fullmatch(var)):
                    raise self.error(path, f"variable name {var!r} is not a valid name")
            else:
                raw, var = item, None
            relative = self._relative_path(raw, path, must_exist=must_exist)
            folder = key == "outputs" and self._names_folder(raw, relative)
            result.append(DataPath(relative, var or None, folder))
        return tuple(result)

    def _names_folder(self, raw: Any, relative: str) -> bool:
        """An output is a folder when written with a trailing slash (`models/`) or when it
        is a folder in the job folder now; the runner creates it before the job starts."""
        return str(raw).endswith("/") or (self.root / relative).is_dir()

    def _paths(self, value: Any, path: str) -> tuple[str, ...]:
        items = self._list(value, path)
        return tuple(self._relative_path(item, f"{path}[{i}]", must_exist=True)
                     for i, item in enumerate(items))

    # -- env -----------------------------------------------------------------------------
    def _env_vars(self, value: Any) -> tuple[tuple[str, str | None], ...]:
        result: dict[str, str | None] = {}
        for index, item in enumerate(self._list(value, "env.vars")):
            path = f"env.vars[{index}]"
            if isinstance(item, str):
                name, var_value = item, None
            elif isinstance(item, dict) and len(item) == 1:
                (name, raw), = item.items()
                if raw is not None and not isinstance(raw, str):
                    raise self.error(path, f"the value of {name!r} must be a string, "
                                     f"not {_kind(raw)}")
                var_value = raw
            else:
                raise self.error(path, "must be `NAME` or `NAME: VALUE`")
            if not NAME.fullmatch(str(name)):
                raise self.error(path, f"{name!r} is not a valid variable name")
            if name in result:
                raise self.error(path, f"variable {name!r} is defined twice")
            result[str(name)] = var_value
        return tuple(sorted(result.items()))

    def _python(self, value: Any) -> dict[str, Any]:
        if value is None:
            return {}
        if value == "auto":
            return {"python_configured": True}
        if value == "manual":
            raise self.error("env.python", "a `manual` environment must set at least one of "
                             "version, requirements-file, local-paths, root-paths, pip")
        if isinstance(value, str):
            raise self.error("env.python", f"must be `auto` or a mapping, not {value!r}")
        if not isinstance(value, dict):
            raise self.error("env.python", f"must be `auto` or a mapping, not {_kind(value)}")
        self._check_keys(value, _PYTHON_KEYS, "env.python")
        kind = value.get("type", "auto")
        if kind not in {"auto", "manual"}:
            raise self.error("env.python.type", f"must be `auto` or `manual`, not {kind!r}")
        if "root-path" in value and "root-paths" in value:
            raise self.error("env.python.root-path", "give root-paths only once")
        root_key = "env.python.root-path" if "root-path" in value else "env.python.root-paths"
        root_value = value.get("root-path", value.get("root-paths"))
        if "local-paths" in value and root_value is not None:
            raise self.error("env.python.local-paths", "local-paths cannot be used together "
                             "with root-paths")
        if kind == "manual" and not any(
            value.get(k) is not None for k in _PYTHON_KEYS - {"type"}
        ):
            raise self.error("env.python", "a `manual` environment must set at least one of "
                             "version, requirements-file, local-paths, root-paths, pip")
        if kind == "auto" and value.get("local-paths") is not None:
            raise self.error("env.python.local-paths", "local-paths needs `type: manual`")
        version = self._string("version", within=value, path="env.python.version")
        if version is not None and not re.fullmatch(r"3\.\d{1,2}(\.\d{1,3})?", version):
            raise self.error("env.python.version", f"{version!r} is not a Python 3 version "
                             "such as 3.10 or 3.10.13")
        target = None
        if version is not None:
            try:
                target = Target.parse(version)
            except TargetError as exc:
                raise self.error("env.python.version", exc.message) from None
        requirements = value.get("requirements-file")
        return {
            "python_type": kind,
            "python_configured": True,
            "target": target,
            "requirements_file": None if requirements is None else self._relative_path(
                requirements, "env.python.requirements-file", must_exist=True),
            "local_paths": self._paths(value.get("local-paths"), "env.python.local-paths"),
            "root_paths": self._paths(root_value, root_key),
            "pip": self._pip(value.get("pip")),
        }

    def _pip(self, value: Any) -> PipOptions:
        if value is None:
            return PipOptions()
        if not isinstance(value, dict):
            raise self.error("env.python.pip", f"must be a mapping, not {_kind(value)}")
        self._check_keys(value, _PIP_KEYS, "env.python.pip")
        raw = value.get("no-deps")
        flag = raw.lower() if isinstance(raw, str) else raw
        if flag is not None and flag not in _TRUE | _FALSE:
            raise self.error("env.python.pip.no-deps", f"must be true or false, not {raw!r}")
        no_deps = flag in _TRUE
        return PipOptions(
            index_url=self._string("index-url", within=value, path="env.python.pip.index-url"),
            extra_index_urls=self._strings(value, "extra-index-urls"),
            trusted_hosts=self._strings(value, "trusted-hosts"),
            no_deps=no_deps,
        )

    def _strings(self, mapping: dict[str, Any], key: str) -> tuple[str, ...]:
        path = f"env.python.pip.{key}"
        items = self._list(mapping.get(key), path)
        for index, item in enumerate(items):
            if not isinstance(item, str):
                raise self.error(f"{path}[{index}]", f"must be a string, not {_kind(item)}")
        return tuple(items)

    def _instance_types(self) -> tuple[str, ...]:
        """`cloud-instance-types: [g2.1, g1.1]` or `cloud-instance-type: g1.1`."""
        single = self._string("cloud-instance-type")
        found = [single] if single else []
        key = "cloud-instance-types"
        for index, item in enumerate(self._list(self.data.get(key), key)):
            if not isinstance(item, str) or not item.strip():
                raise self.error(f"{key}[{index}]", f"must be a name such as g1.1, not "
                                 f"{_kind(item)}")
            found.append(item)
        return tuple(t.strip() for t in found)

    # -- cmd variables ---------------------------------------------------------------------
    def _datasets(self) -> dict[str, str]:
        """`datasets: - <id>: VAR` defines ${VAR}; the service mounts the dataset there."""
        defined: dict[str, str] = {}
        for index, item in enumerate(self._list(self.data.get("datasets"), "datasets")):
            path = f"datasets[{index}]"
            if isinstance(item, str):
                continue  # a dataset without a variable
            if not isinstance(item, dict) or len(item) != 1:
                raise self.error(path, "must be `ID` or `ID: VARIABLE`")
            (_, var), = item.items()
            if var is None:
                continue
            if not isinstance(var, str) or not NAME.fullmatch(var):
                raise self.error(path, f"variable name {var!r} is not a valid name")
            defined[var] = path
        return defined

    def _substitute(self, cmd: str, args: dict[str, str], inputs: tuple[DataPath, ...],
                    outputs: tuple[DataPath, ...], datasets: dict[str, str],
                    ) -> tuple[str, tuple[str, ...]]:
        """`cmd` with every ${ARG} replaced by its value as one shell word, and the
        variables the runner fills from its environment (service and dataset ones)."""
        defined: dict[str, str] = {}
        sources = [("args", name) for name in args]
        sources += [(f"inputs[{i}]", p.var) for i, p in enumerate(inputs) if p.var]
        sources += [(f"outputs[{i}]", p.var) for i, p in enumerate(outputs) if p.var]
        sources += [(key, var) for var, key in datasets.items()]
        for key, var in sources:
            if var in defined:
                raise self.error(key, f"variable {var!r} is defined twice "
                                 f"(also in {defined[var]})")
            defined[var] = key
        runtime: list[str] = []
        for var in VARIABLE.findall(cmd):
            if var in SERVICE_VARS or var in datasets:
                runtime.append(var)
            elif var not in defined:
                raise self.error("cmd", f"variable ${{{var}}} is used but never defined "
                                 "(define it in inputs, outputs, args or datasets)")
        self._typos(cmd, set(defined))
        filled = tuple(sorted(set(runtime)))
        if filled:
            self.notes.append(RUNTIME_VARIABLE.at(
                self.reader.file.name, self.reader.lines.get("cmd"),
                f"cmd uses {', '.join('${' + v + '}' for v in filled)}: "
                "set by the service on the VM; the runner takes "
                f"{'it' if len(filled) == 1 else 'them'} from its environment"))
        quoted = VARIABLE.sub(lambda m: shlex.quote(args[m.group(1)]) if m.group(1) in args
                              else m.group(0), cmd)
        return quoted, filled


    def _typos(self, cmd: str, defined: set[str]) -> None:
        """`$LR` or `${LR` where `${LR}` is defined: the service substitutes only `${LR}`,
        so the shell would see an unset variable. Clearly a typo: a warning."""
        for match in _NEAR_VARIABLE.finditer(cmd):
            name = match.group(1) or match.group(2)
            if name in defined:
                self.notes.append(VARIABLE_TYPO.at(
                    self.reader.file.name, self.reader.lines.get("cmd"),
                    f"cmd has {match.group(0)!r}, which is not substituted; did you mean "
                    f"${{{name}}}?"))


def _kind(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "a boolean"
    names: dict[type, str] = {dict: "a mapping", list: "a list", str: "a string"}
    return names.get(type(value), type(value).__name__)
