"""Each function's deployment spec (deployer.interface.FUNCTIONS) is declared once, and true.

The stack (tests/infra) and the embedded installer (tests/functional) both read it; here: the
environment variables a spec names are read by its handler's code (the handler's module and
every deployer module it imports, followed through the imports), and every variable the
handler's module itself reads is named. (A shared module can read a variable for one
function only, as deployer.request.triggers reads Validate's settings: the spec says which.)
"""

import ast
from pathlib import Path

import pytest

from deployer import interface

PACKAGE = Path(interface.__file__).resolve().parent
ENV_NAMES = {name: value for name, value in vars(interface).items() if name.startswith("ENV_")}


def _module_path(module: str) -> Path | None:
    relative = Path(*module.split(".")[1:])
    for candidate in (PACKAGE / relative.with_suffix(".py"), PACKAGE / relative / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _reads(handler: str, *, follow: bool = True) -> set[str]:
    """The ENV_* values read (as ``contract.ENV_X``) by the handler's module and, when
    ``follow``, by the deployer modules it imports."""
    seen: set[str] = set()
    todo = [handler.rpartition(".")[0]]
    read: set[str] = set()
    while todo:
        module = todo.pop()
        path = _module_path(module)
        if module in seen or path is None:
            continue
        seen.add(module)
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if not follow and isinstance(node, ast.Import | ast.ImportFrom):
                continue
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                if node.module == "deployer":
                    todo += [f"deployer.{alias.name}" for alias in node.names]
                elif node.module.startswith("deployer."):
                    todo.append(node.module)
            elif isinstance(node, ast.Import):
                todo += [a.name for a in node.names if a.name.startswith("deployer.")]
            elif isinstance(node, ast.Attribute) and node.attr in ENV_NAMES:
                read.add(ENV_NAMES[node.attr])
    return read


@pytest.mark.parametrize("spec", interface.ALL_FUNCTIONS, ids=lambda s: s.stage)
def test_a_function_is_given_only_variables_its_code_reads(spec):
    assert set(spec.environment) <= _reads(spec.handler)


@pytest.mark.parametrize("spec", interface.ALL_FUNCTIONS, ids=lambda s: s.stage)
def test_a_function_is_given_every_variable_its_handler_reads(spec):
    assert _reads(spec.handler, follow=False) <= set(spec.environment)


def test_every_variable_of_the_contract_is_read_by_some_function():
    read = {name for spec in interface.ALL_FUNCTIONS for name in spec.environment}
    assert read == set(ENV_NAMES.values())


def test_a_platform_that_does_not_value_a_variable_is_told_which():
    (describe,) = [s for s in interface.FUNCTIONS if s.stage == "Describe"]
    with pytest.raises(KeyError, match=interface.ENV_CONFIG_RETENTION):
        describe.environment_of({interface.ENV_DEADLINE: "3600"})


def test_a_variable_valued_none_is_left_unset_for_the_handler_s_default():
    (describe,) = [s for s in interface.FUNCTIONS if s.stage == "Describe"]
    environment = describe.environment_of(
        {
            interface.ENV_DEADLINE: None,
            interface.ENV_CONFIG_RETENTION: "5",
            interface.ENV_TABLE: "t",
            interface.ENV_PARK_SECONDS: None,
        }
    )
    assert environment == {
        **interface.COMMON_ENVIRONMENT,
        interface.ENV_CONFIG_RETENTION: "5",
        interface.ENV_TABLE: "t",
    }
