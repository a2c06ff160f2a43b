"""No import cycle among the webhooks modules: each module's import-time imports (those at the
top level, not inside a function or under `if TYPE_CHECKING`) form a graph without cycles, so
that models never import the engine (but for a leaf) while they load."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_time_imports(path: Path, known: set[str]) -> set[str]:
    """The webhooks modules this file imports while it loads."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()

    def visit(statements) -> None:
        for node in statements:
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
                continue  # read by type checkers only
            if isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    base = ".".join(
                        [*package.split(".")[: len(package.split(".")) - node.level + 1], base]
                    ).strip(".")
                found.add(base)
                found.update(f"{base}.{alias.name}" for alias in node.names)  # `from pkg import module`
            elif isinstance(node, ast.If | ast.Try):  # still import time
                visit(node.body)
                visit(getattr(node, "orelse", []))
                visit(getattr(node, "finalbody", []))
                for handler in getattr(node, "handlers", []):
                    visit(handler.body)

    visit(ast.parse(path.read_text()).body)
    return {module for module in found if module in known and module != name}


def graph() -> dict[str, set[str]]:
    paths = [p for p in (ROOT / "webhooks").rglob("*.py") if "migrations" not in p.parts]
    known = {module_name(p) for p in paths}
    return {module_name(p): import_time_imports(p, known) for p in paths}


def cycle(edges: dict[str, set[str]]) -> list[str] | None:
    """One import cycle, as the modules along it, or None."""
    state: dict[str, str] = {}
    path: list[str] = []

    def walk(module: str) -> list[str] | None:
        state[module] = "open"
        path.append(module)
        for imported in sorted(edges.get(module, ())):
            if state.get(imported) == "open":
                return [*path[path.index(imported) :], imported]
            if imported not in state and (found := walk(imported)):
                return found
        state[module] = "done"
        path.pop()
        return None

    for module in sorted(edges):
        if module not in state and (found := walk(module)):
            return found
    return None


def test_the_webhooks_modules_import_one_another_without_a_cycle():
    assert cycle(graph()) is None


def test_the_models_import_no_engine_module_while_they_load_but_leaves():
    """Only the signing helpers (the default of a webhook's secret), which import nothing of
    webhooks; routing, routes and the rest of the engine import the models, never the reverse."""
    edges = graph()
    models = [name for name in edges if name == "webhooks.models" or name.startswith("webhooks.models.")]
    imported = set().union(*(edges[name] for name in models))
    engine = {module for module in imported if module.startswith("webhooks.engine.")}
    assert engine == {"webhooks.engine.signing"}
    assert not edges["webhooks.engine.signing"]


def test_the_check_finds_a_cycle_when_there_is_one():
    assert cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert cycle({"a": {"b"}, "b": set()}) is None
