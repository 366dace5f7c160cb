"""The documentation site's generated pages: written into docs/_generated/ before Sphinx reads them.

Nothing here is typed by hand, so the site cannot drift from the kit:

- `data_dictionary(descriptor)`: every resource and field of data/datapackage.json (the Frictionless
  data package), with types, constraints and keys, and the package's version, licence and profile;
- `methods_page()`: the model's equations, metrics with units, formulas and references, parameters
  with units, ranges and sources, the structural choices and a headline number worked by hand, all
  from rekit.model.docs (what the reports' methods page prints);
- `cli_reference()`: the ``--help`` of every ``rekit`` command, as the command line prints it;
- `copy_notebooks(dest)`: the story and teaching notebooks (as `notebooks/batch.yml` builds them:
  the explorer, an interactive widget, is left out), which MyST-NB executes during the build.

docs/conf.py calls `write_all()`; tests/test_docs_site.py checks each piece without a full build.
Markdown cells are escaped for the pipes and line breaks a table cell cannot hold.
"""

from __future__ import annotations

import contextlib
import io
import json
import shutil
from pathlib import Path

import yaml

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
OUT = DOCS / "_generated"


def cell(value) -> str:
    """A value as a Markdown table cell: pipes escaped, line breaks as spaces, None as empty."""
    if value is None:
        return ""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return " ".join(text.replace("|", "\\|").split())


def table(header: list[str], rows: list[list]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def data_dictionary(descriptor: Path = ROOT / "data" / "datapackage.json") -> str:
    """The data dictionary page (Markdown) of a data package descriptor."""
    desc = json.loads(Path(descriptor).read_text(encoding="utf-8"))
    out = ["# Data dictionary", "",
           f"Generated from `data/datapackage.json` (a [Frictionless data package]"
           f"(https://datapackage.org/)). **{cell(desc.get('title'))}**, version {cell(desc.get('version'))}.", "",
           cell(desc.get("description")), ""]
    if desc.get("$schema"):
        out += [f"Profile: `{desc['$schema']}`.", ""]
    for lic in desc.get("licenses", []):
        out += [f"Licence: {cell(lic.get('name'))} ({cell(lic.get('title'))}).", ""]
    if desc.get("contributors"):
        out += ["Contributors: " + "; ".join(f"{cell(c.get('title'))} ({', '.join(c.get('roles', []))})"
                                             for c in desc["contributors"]) + ".", ""]
    out += ["Every row of every table names its source; `rekit data check` validates the files against these "
            "schemas and the kit's own rules.", ""]
    for res in desc.get("resources", []):
        schema = res.get("schema", {})
        out += [f"## `{res['name']}`: {cell(res.get('title'))}", "", f"File `{res.get('path')}`. {cell(res.get('description'))}", ""]
        rows = []
        for f in schema.get("fields", []):
            c = f.get("constraints", {})
            rules = []
            if c.get("required"):
                rules.append("required")
            if c.get("unique"):
                rules.append("unique")
            if "enum" in c:
                rules.append("one of " + ", ".join(f"`{v}`" for v in c["enum"]))
            if "pattern" in c:
                rules.append(f"pattern `{c['pattern']}`")
            for k in ("minimum", "maximum", "minLength", "maxLength"):
                if k in c:
                    rules.append(f"{k} {c[k]}")
            rows.append([f"`{f['name']}`", f.get("type", "string"), f.get("title", ""), "; ".join(rules)])
        out += [table(["field", "type", "meaning", "rules"], rows), ""]
        keys = []
        if schema.get("primaryKey"):
            keys.append("primary key " + ", ".join(f"`{k}`" for k in schema["primaryKey"]))
        for fk in schema.get("foreignKeys", []):
            ref = fk.get("reference", {})
            keys.append(f"`{', '.join(fk['fields']) if isinstance(fk['fields'], list) else fk['fields']}` refers to "
                        f"`{ref.get('resource') or res['name']}`.`{', '.join(ref['fields']) if isinstance(ref.get('fields'), list) else ref.get('fields')}`")
        if keys:
            out += ["Keys: " + "; ".join(keys) + ".", ""]
    return "\n".join(out)


def methods_page() -> str:
    """The methods page (Markdown), from rekit.model.docs.methods()."""
    from rekit.model.docs import methods

    m = methods()
    x = m["example"]
    out = ["# Methods", "",
           "Generated from the model itself (`rekit.model.docs`): its equations, its metric registry, its parameter "
           "table with units and sources, the structural choices, and a headline number worked by hand.", "",
           "## Uncertain inputs and Monte Carlo draws", "",
           "Every model input is a quantity with a central value, a low and a high, a unit and a source (an observation "
           "of the data, a source, or a stated assumption). Each draw takes every uncertain input from a triangular "
           "distribution on [low, high] with its mode at the central value; results give the median (p50) and the 5th "
           "and 95th percentiles (p05, p95) over the draws. Choices the sources leave open (production basis, demand "
           "basis, framing) are alternatives, not ranges: each combination is a scenario (`rekit simulate --grid`).", "",
           "## The system, one step a year", "", "```text", m["equations"], "```", "",
           "## Metrics", "",
           table(["metric", "unit", "formula", "what it is", "reference"],
                 [[f"`{r['metric']}`", r["unit"], f"`{r['formula']}`" if r["formula"] else "",
                   f"an old name of `{r['alias_of']}`" if r["alias_of"] else r["description"], r["reference"]]
                  for r in m["metrics"]]), "",
           "Symbols of the formulas: " + "; ".join(f"`{s['symbol']}` {s['meaning']}" for s in m["symbols"]) + ".", "",
           "## Parameters", "",
           table(["parameter", "group", "unit", "what it is", "bounds", "default", "range", "source"],
                 [[f"`{r['name']}`", r["group"], r["unit"], r["doc"], r["bounds"], r["value"], r["range"], r["source"]]
                  for r in m["parameters"]]), "",
           "## Structural choices", "",
           table(["dimension", "name", "unit", "description"],
                 [[r["dimension"], f"`{r['name']}`", r["unit"], r["description"]] for r in m["choices"]]), "",
           "## A headline number, worked by hand", "",
           f"`{x['metric']}` of `{x['deal']}` in {x['year']} at central values (no draws; production basis "
           f"`{x['basis']}`, demand basis `{x['demand']}`, framing `chain`): {x['formula']}, with", ""]
    out += [f"- `{i['symbol']}` = {i['value']:,.4g} {i['unit']} ({i['meaning']}; the metric `{i['metric']}`)" for i in x["inputs"]]
    out += ["", f"gives **{x['value']:.4g}** {x['unit']}, the value the model reports.", ""]
    return "\n".join(out)


def _help(args: list[str]) -> str:
    from rekit.cli.app import main

    buf, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(buf), contextlib.redirect_stderr(err):
        main([*args, "--help"])
    return buf.getvalue() or err.getvalue()


def _commands(cmd, path: list[str]) -> list[list[str]]:
    out = [path]
    for name in sorted(getattr(cmd, "commands", {}) or {}):
        out += _commands(cmd.commands[name], [*path, name])
    return out


def cli_reference() -> str:
    """The command-line reference page (Markdown): every command's --help, from the typer app."""
    import typer

    from rekit.cli.app import app

    out = ["# Command-line reference", "",
           "Generated from the `rekit` command itself: each section is what `rekit ... --help` prints.", ""]
    for path in _commands(typer.main.get_command(app), []):
        title = " ".join(["rekit", *path])
        out += [f"## `{title}`", "", "```text", _help(path).rstrip(), "```", ""]
    return "\n".join(out)


def story_notebooks() -> list[str]:
    """The notebooks the site runs, as paths relative to notebooks/: the stories batch.yml builds, then teaching."""
    batch = yaml.safe_load((ROOT / "notebooks" / "batch.yml").read_text(encoding="utf-8")) or {}
    skip = set(batch.get("exclude") or [])
    stories = sorted(p.stem for p in (ROOT / "notebooks").glob("*.ipynb") if p.stem not in skip and p.stem[0] not in "_.")
    teaching = sorted(f"teaching/{p.stem}" for p in (ROOT / "notebooks" / "teaching").glob("*.ipynb"))
    return stories + teaching


def copy_notebooks(dest: Path) -> list[Path]:
    """Copy the site's notebooks into `dest` (MyST-NB executes them there); returns the copies."""
    out = []
    for name in story_notebooks():
        target = dest / f"{name}.ipynb"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(ROOT / "notebooks" / f"{name}.ipynb", target)
        out.append(target)
    return out


def tutorials_page() -> str:
    lines = ["# Tutorials", "",
             "The story and teaching notebooks, executed when the site is built (a cell that raises stops the build, "
             "naming the notebook and the cell). Open them in JupyterLab with `make lab` to change the parameters.", "",
             "```{toctree}", ":maxdepth: 1", ""]
    lines += [f"notebooks/{name}" for name in story_notebooks()]
    lines += ["```", ""]
    return "\n".join(lines)


def write_all(out: Path = OUT) -> list[Path]:
    """Write every generated page (and the notebooks) into `out`; returns what was written."""
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    pages = {"data_dictionary.md": data_dictionary(), "methods.md": methods_page(), "cli.md": cli_reference(),
             "tutorials.md": tutorials_page()}
    written = []
    for name, text in pages.items():
        (out / name).write_text(text, encoding="utf-8")
        written.append(out / name)
    return written + copy_notebooks(out / "notebooks")


if __name__ == "__main__":
    for p in write_all():
        print(p.relative_to(ROOT))
