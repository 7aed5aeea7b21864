"""Compare three expression languages for rule-pack conditions: rule-engine, cel-python, simpleeval.

Run: ``.venv/bin/python benchmarks/conditions_compare.py [--quick]``

For each contender and each of the same three expressions it measures the compile time and the
evaluation time (µs per call, best of several repeats), then shows what happens with

  (a) a misspelt field behind ``or``:  ``workers >= 30 or amout >= 5`` evaluated with workers=50
      (a language that only finds names while evaluating returns True and never notices), and
  (b) a type error: ``level > 5`` (a string ordered against a number).

cel-python and simpleeval are NOT project dependencies: install them into the venv to compare
(``.venv/bin/pip install cel-python simpleeval``); a contender that is missing is skipped.
If ``zhiqian.rules.conditions`` is importable, the project's wrapper around the winner is measured
too (its evaluation includes building the variable mapping from a ``ConditionContext``).
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import subprocess
import sys
import timeit
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

EXPRESSIONS: dict[str, dict[str, str]] = {
    # the same meaning, spelt in each language
    "E1 thresholds": {
        "rule-engine": "workers >= 30 or amount >= 1000000",
        "cel-python": "workers >= 30 || amount >= 1000000.0",
        "simpleeval": "workers >= 30 or amount >= 1000000",
    },
    "E2 helper call": {
        "rule-engine": 'breached("investigation") and level == "county"',
        "cel-python": 'breached("investigation") && level == "county"',
        "simpleeval": 'breached("investigation") and level == "county"',
    },
    "E3 list + params": {
        "rule-engine": '"malicious" in flags and amount >= params.crime_threshold_single',
        "cel-python": '"malicious" in flags && amount >= params.crime_threshold_single',
        "simpleeval": '"malicious" in flags and amount >= params["crime_threshold_single"]',
    },
}
MISSPELT = {
    "rule-engine": "workers >= 30 or amout >= 5",
    "cel-python": "workers >= 30 || amout >= 5.0",
    "simpleeval": "workers >= 30 or amout >= 5",
}
TYPE_ERROR = {
    "rule-engine": "level > 5",
    "cel-python": "level > 5",
    "simpleeval": "level > 5",
}

CASE: dict[str, Any] = {
    "level": "county",
    "workers": 50,
    "amount": Decimal("6000.50"),
    "flags": ("malicious", "collective"),
    "params": {"crime_threshold_single": Decimal(5000), "crime_threshold_group": Decimal(30000)},
    "clocks": {"investigation": "breached"},
}


@dataclass
class Contender:
    name: str
    module: str
    compile: Callable[[str], Any]
    evaluate: Callable[[Any], Any]


def _re_contender() -> Contender:
    import rule_engine
    from rule_engine import DataType as T

    params = T.OBJECT(
        "params",
        attributes={"crime_threshold_single": T.FLOAT, "crime_threshold_group": T.FLOAT},
        accessor=lambda m, k: m[k],
    )
    types = {
        "level": T.STRING,
        "workers": T.FLOAT,
        "amount": T.FLOAT,
        "flags": T.ARRAY(T.STRING),
        "params": params,
        "breached": T.FUNCTION("breached", return_type=T.BOOLEAN, argument_types=(T.STRING,)),
    }
    context = rule_engine.Context(
        type_resolver=types, mapping_attribute_lookup=False, default_timezone="utc"
    )
    clocks = CASE["clocks"]
    thing = {
        **{k: v for k, v in CASE.items() if k != "clocks"},
        "workers": Decimal(CASE["workers"]),
        "breached": lambda name: clocks.get(name) == "breached",
    }
    return Contender(
        "rule-engine",
        "rule_engine",
        lambda text: rule_engine.Rule(text, context=context),
        lambda rule: rule.evaluate(thing),
    )


def _cel_contender() -> Contender:
    import celpy
    from celpy import celtypes

    env = celpy.Environment()
    clocks = CASE["clocks"]

    def breached(name: Any) -> Any:
        return celtypes.BoolType(clocks.get(str(name)) == "breached")

    # CEL has no decimal type: amounts become doubles (a reason against it for money)
    activation = celpy.json_to_cel(
        {
            "level": CASE["level"],
            "workers": CASE["workers"],
            "amount": float(CASE["amount"]),
            "flags": list(CASE["flags"]),
            "params": {k: float(v) for k, v in CASE["params"].items()},
        }
    )

    def compile_(text: str) -> Any:
        return env.program(env.compile(text), functions={"breached": breached})

    return Contender("cel-python", "celpy", compile_, lambda prg: prg.evaluate(activation))


def _se_contender() -> Contender:
    import simpleeval

    clocks = CASE["clocks"]
    evaluator = simpleeval.EvalWithCompoundTypes(
        names={k: v for k, v in CASE.items() if k != "clocks"},
        functions={"breached": lambda name: clocks.get(name) == "breached"},
    )

    def compile_(text: str) -> Any:
        return (text, evaluator.parse(text))

    def evaluate(parsed: Any) -> Any:
        return evaluator.eval(parsed[0], previously_parsed=parsed[1])

    return Contender("simpleeval", "simpleeval", compile_, evaluate)


def _zhiqian_contender() -> Contender | None:
    try:
        from zhiqian.rules.conditions import ConditionContext, compile_condition
    except ImportError:
        return None
    ctx = ConditionContext(
        level="county",
        region="140302",
        state="handling",
        workers=50,
        migrant_workers=40,
        amount=Decimal("6000.50"),
        migrant_amount=Decimal("5000"),
        flags=("malicious", "collective"),
        project_kind="government",
        employer_category="construction",
        channel="platform",
        now=datetime(2026, 1, 5, 9, tzinfo=UTC),
        params={"crime_threshold_single": Decimal(5000), "crime_threshold_group": Decimal(30000)},
        clocks={"investigation": "breached"},
    )
    params = {"crime_threshold_single": Decimal(5000), "crime_threshold_group": Decimal(30000)}
    return Contender(
        "zhiqian wrapper",
        "zhiqian.rules.conditions",
        lambda text: compile_condition(
            text, where=("bench.yaml", 1), params=params, clocks=("investigation",)
        ),
        lambda cond: cond.evaluate(ctx),
    )


def _best_us(fn: Callable[[], Any], number: int, repeat: int) -> float:
    times = timeit.repeat(fn, number=number, repeat=repeat)
    return min(times) / number * 1e6


def _import_seconds(module: str) -> float:
    code = f"import time; t=time.perf_counter(); import {module}; print(time.perf_counter()-t)"
    runs = [
        float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout)
        for _ in range(3)
    ]
    return statistics.median(runs)


def _outcome(contender: Contender, text: str) -> str:
    try:
        compiled = contender.compile(text)
    except Exception as exc:
        return f"compile error: {type(exc).__name__}: {exc}"
    try:
        return f"compiled; evaluates to {contender.evaluate(compiled)!r} (no error)"
    except Exception as exc:
        return f"compiled; evaluation error: {type(exc).__name__}: {exc}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer iterations")
    args = parser.parse_args()
    n_compile, n_eval, repeat = (20, 500, 3) if args.quick else (200, 5000, 5)

    makers = {
        "rule-engine": _re_contender,
        "cel-python": _cel_contender,
        "simpleeval": _se_contender,
    }
    contenders: list[tuple[Contender, str]] = []
    for lang, maker in makers.items():
        module = {"rule-engine": "rule_engine", "cel-python": "celpy", "simpleeval": "simpleeval"}[
            lang
        ]
        if importlib.util.find_spec(module) is None:
            print(f"-- {lang}: not installed, skipped")
            continue
        contenders.append((maker(), lang))
    wrapper = _zhiqian_contender()
    if wrapper is not None:
        contenders.append((wrapper, "rule-engine"))

    print(
        f"python {sys.version.split()[0]}; compile x{n_compile}, eval x{n_eval}, best of {repeat}\n"
    )
    print(f"{'contender':<16} {'expression':<18} {'compile µs':>11} {'eval µs':>9}  result")
    for contender, lang in contenders:
        for label, texts in EXPRESSIONS.items():
            text = texts[lang]
            compiled = contender.compile(text)
            result = contender.evaluate(compiled)
            c_us = _best_us(lambda text=text, c=contender: c.compile(text), n_compile, repeat)
            e_us = _best_us(
                lambda compiled=compiled, c=contender: c.evaluate(compiled), n_eval, repeat
            )
            print(f"{contender.name:<16} {label:<18} {c_us:>11.1f} {e_us:>9.2f}  {result!r}")
    print()
    for contender, lang in contenders:
        print(f"{contender.name}: import {_import_seconds(contender.module) * 1000:.0f} ms")
        print(f"  (a) {MISSPELT[lang]!r}: {_outcome(contender, MISSPELT[lang])}")
        print(f"  (b) {TYPE_ERROR[lang]!r}: {_outcome(contender, TYPE_ERROR[lang])}")
    # cel-python also ships a "compiled" runner; DEPS.md reports it crashing on helper calls
    if importlib.util.find_spec("celpy") is not None:
        import celpy

        env = celpy.Environment(runner_class=celpy.CompiledRunner)
        try:
            prg = env.program(
                env.compile(EXPRESSIONS["E2 helper call"]["cel-python"]),
                functions={"breached": lambda name: celpy.celtypes.BoolType(True)},
            )
            result = prg.evaluate({"level": celpy.celtypes.StringType("county")})
            print(f"cel-python CompiledRunner E2: {result!r}")
        except Exception as exc:
            print(f"cel-python CompiledRunner E2: {type(exc).__name__}: {exc}")


if __name__ == "__main__":
    main()
