"""notifications/ is a lower layer: no module of it imports users/ or events/."""

import ast
from pathlib import Path

import notifications

UPPER = ("users", "events")


def _imports(path: Path):
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module
        elif isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", "")) in (
            "import_module",
            "__import__",
        ):
            yield from (arg.value for arg in node.args if isinstance(arg, ast.Constant) and isinstance(arg.value, str))


def test_no_module_of_notifications_imports_users_or_events():
    root = Path(notifications.__file__).parent
    modules = sorted(root.rglob("*.py"))
    assert len(modules) > 8
    offending = [
        f"{path.relative_to(root.parent)}: {name}"
        for path in modules
        for name in _imports(path)
        if name.split(".")[0] in UPPER
    ]
    assert offending == []


def test_the_check_catches_an_upward_import(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text("import os\nfrom users.tokens import x\nimport events.models\n")
    assert [name for name in _imports(sample) if name.split(".")[0] in UPPER] == ["users.tokens", "events.models"]
