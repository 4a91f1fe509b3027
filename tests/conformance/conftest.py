"""The conformance projects are data: their own tests run only inside their jobs."""

collect_ignore = ["projects"]
