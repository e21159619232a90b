"""Run configurations from TOML files: a named model, an initial state, times, the run and outputs.

    [model]   name = "hopfield", N = 200, beta = 2.0, omega = 0.5     (cli/registry.py)
              name = "qudit", N, d, hamiltonian, interaction, [[model.channels]]   (cli/qudit.py)
    [state]   name = "coherent", theta = 0.4                          (cli/registry.py)
              name = "qudit_pure", amplitudes = [1, 0, 0]  or  "qudit_density", rho = [[...], ...]
    [times]   stop = 6.0, num = 25 (start = 0.0)  or  values = [0.0, 0.5, ...]
    [run]     ntraj, seed, n_jobs = 1, batch_size, backend = "auto", scheduler, keep_trajectories,
              checkpoint_every = 10.0; target_stderr (stop once reached, ntraj then a maximum),
              target = "mean" or "clustering" (the error of E_N against mean field), timeout (seconds)
    [options] TrajectoryOptions fields (tol, root_tol, trim, max_terms, method, memory_limit)
    [record]  distributions = true (P(m_z^b, t) of every block) or a table name = [weights per block];
              observables = table name = "formula of m (m0, m1, ...)" (cli/expressions.py);
              records = "folder" (every trajectory streamed there, trajectories/io/records.py);
              spin models only
    [output]  results = "results/x.npz", plot = "plots/x.png", overwrite = false (true: this config's
              own results and figure are rewritten by each run, as the main job's committed figure is)

Every mistake raises ValueError naming the field (e.g. "run.ntraj must be an integer >= 1, got -5").
"""
from __future__ import annotations

import math
import tomllib
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from models.qudit import QuditModel
from ..base.checks import MAX_TIMES, check_bool, check_int, check_positive, check_times
from ..base.grid import diagonal_spec
from ..base.options import ExecutionOptions, TrajectoryOptions
from .expressions import observable_function
from .registry import check_state, model_state, named_model

SECTIONS = {
    "model": None, "state": None,
    "times": {"start", "stop", "num", "values"},
    "run": {"ntraj", "seed", "n_jobs", "batch_size", "backend", "scheduler", "keep_trajectories",
            "checkpoint_every", "target_stderr", "target", "timeout"},
    "options": None,
    "output": {"results", "plot", "overwrite"},
    "record": {"distributions", "observables", "records"},
    "compare": {"exact"},
}


@dataclass
class RunConfig:
    """A validated configuration (plain data; build() makes the model and state)."""

    model: dict
    state: dict
    times: list
    ntraj: int
    seed: int
    n_jobs: int = 1
    batch_size: int | None = None
    backend: str = "auto"
    scheduler: str | None = None
    keep_trajectories: bool = False
    checkpoint_every: float = 10.0
    target_stderr: float | None = None
    target: str = "mean"
    timeout: float | None = None
    options: dict = field(default_factory=dict)
    results: str = "results/run.npz"
    plot: str | None = None
    overwrite: bool = False
    distributions: bool | dict = False
    observables: dict = field(default_factory=dict)
    records: str | None = None
    exact: bool = False

    def build(self):
        """(model, state) of the configuration."""
        m, s = dict(self.model), dict(self.state)
        model = named_model(m.pop("name"), **m)
        return model, model_state(model, s.pop("name"), **s)

    def observable_functions(self, n_blocks: int) -> dict:
        """The [record] observables as functions of the block magnetisations."""
        return {k: observable_function(k, v, n_blocks) for k, v in self.observables.items()}

    def execution(self, **extra) -> ExecutionOptions:
        """The ExecutionOptions of the [run] section (plus `extra` fields, e.g. checkpoint)."""
        return ExecutionOptions(n_jobs=self.n_jobs, backend=self.backend, scheduler=self.scheduler,
                                batch_size=self.batch_size, checkpoint_every=self.checkpoint_every, **extra)

    def describe(self) -> dict:
        return asdict(self)


def _named(section: str, d: dict) -> dict:
    if not isinstance(d, dict):
        raise ValueError(f"[{section}] must be a table")
    if "name" not in d or not isinstance(d["name"], str):
        raise ValueError(f"{section}.name is required (a string)")
    return dict(d)


def _check_sections(data: dict) -> None:
    for section, value in data.items():
        if section not in SECTIONS:
            raise ValueError(f"unknown section [{section}] (sections: {', '.join(SECTIONS)})")
        keys = SECTIONS[section]
        if not isinstance(value, dict):
            raise ValueError(f"[{section}] must be a table")
        if keys is not None:
            unknown = sorted(set(value) - keys)
            if unknown:
                raise ValueError(f"{section}.{unknown[0]} is not a known field (fields: {', '.join(sorted(keys))})")
    for section in ("model", "state", "times", "run"):
        if section not in data:
            raise ValueError(f"section [{section}] is missing")


def _parse_times(t: dict) -> list:
    if "values" in t:
        if set(t) - {"values"}:
            raise ValueError("times: give either values or start/stop/num, not both")
        values = t["values"]
        if not isinstance(values, list) or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
            raise ValueError(f"times.values must be a list of numbers, got {values!r}")
    else:
        for key in ("stop", "num"):
            if key not in t:
                raise ValueError(f"times.{key} is required (or give times.values)")
        start, stop = t.get("start", 0.0), t["stop"]
        for key, v in (("start", start), ("stop", stop)):
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
                raise ValueError(f"times.{key} must be a finite number, got {v!r}")
        num = check_int("times.num", t["num"], 1)
        if num > MAX_TIMES:
            raise ValueError(f"times.num must be an integer in 1..{MAX_TIMES} (each output time costs memory "
                             f"in every trajectory and in the results file), got {num}")
        values = np.linspace(start, stop, num).tolist()
    try:
        return check_times(values).tolist()
    except ValueError as err:
        raise ValueError(f"times: {err}") from None


def _parse_run(run: dict) -> dict:
    """The [run] section as RunConfig fields; the execution fields are checked by ExecutionOptions."""
    if "ntraj" not in run:
        raise ValueError("run.ntraj is required")
    if "seed" not in run:
        raise ValueError("run.seed is required (an integer >= 0: results are reproducible and resumable)")
    scheduler = run.get("scheduler")
    if scheduler is not None and not isinstance(scheduler, str):
        raise ValueError(f"run.scheduler must be an address string like 'tcp://host:8786', got {scheduler!r}")
    keep = check_bool("run.keep_trajectories", run.get("keep_trajectories", False))
    fields = dict(ntraj=check_int("run.ntraj", run["ntraj"], 1), seed=check_int("run.seed", run["seed"], 0),
                  n_jobs=run.get("n_jobs", 1), batch_size=run.get("batch_size"),
                  backend=run.get("backend", "auto"), scheduler=scheduler, keep_trajectories=keep,
                  checkpoint_every=run.get("checkpoint_every", 10.0))
    try:
        ExecutionOptions(**{k: fields[k] for k in ("n_jobs", "batch_size", "backend", "scheduler",
                                                    "checkpoint_every")})
    except ValueError as err:
        raise ValueError(f"run.{err}") from None
    fields["checkpoint_every"] = float(fields["checkpoint_every"])
    return fields | _parse_stop(run)


def _parse_stop(run: dict) -> dict:
    """The [run] fields of early stopping (engine/stopping.py)."""
    target = run.get("target", "mean")
    if target not in ("mean", "clustering"):
        raise ValueError(f"run.target must be \"mean\" or \"clustering\" (the error of E_N), got {target!r}")
    if "target" in run and "target_stderr" not in run:
        raise ValueError("run.target says what run.target_stderr applies to: give run.target_stderr too")
    out = dict(target=target)
    for key in ("target_stderr", "timeout"):
        out[key] = None if run.get(key) is None else check_positive(f"run.{key}", run[key])
    return out


def _parse_record(rec: dict) -> dict:
    """The [record] section as RunConfig fields (formulas are checked once the model is built)."""
    dist = rec.get("distributions", False)
    if isinstance(dist, dict):
        for k, w in dist.items():
            if not isinstance(w, list) or not all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in w):
                raise ValueError(f"record.distributions.{k} must be a list of weights (one per block), got {w!r}")
    elif not isinstance(dist, bool):
        raise ValueError(f"record.distributions must be true, false or a table name = [weights], got {dist!r}")
    obs = rec.get("observables", {})
    if not isinstance(obs, dict):
        raise ValueError(f"record.observables must be a table name = \"formula\", got {obs!r}")
    records = rec.get("records")
    if records is not None and not isinstance(records, str):
        raise ValueError(f"record.records must be a folder path string, got {records!r}")
    return dict(distributions=dist, observables=dict(obs), records=records)


def _refuse_record(cfg: RunConfig) -> None:
    """A qudit model records its moments only: a [record] field that asks for more is refused."""
    for key, asked in (("distributions", bool(cfg.distributions)), ("observables", bool(cfg.observables)),
                       ("records", cfg.records is not None)):
        if asked:
            raise ValueError(f"record.{key} is not available for model 'qudit' (d-level runs record the "
                             "moments of the m_a only): remove it from [record]")


def parse_config(data: dict, where: str = "config") -> RunConfig:
    """Validate a config dict (as read from TOML); errors name the field."""
    _check_sections(data)
    model, state = _named("model", data["model"]), _named("state", data["state"])
    times = _parse_times(data["times"])
    run = _parse_run(data["run"])
    options = dict(data.get("options", {}))
    try:
        TrajectoryOptions.from_dict(options)
    except (TypeError, ValueError) as err:
        raise ValueError(f"options: {err}") from None
    out = data.get("output", {})
    for key in ("results", "plot"):
        if key in out and not isinstance(out[key], str):
            raise ValueError(f"output.{key} must be a path string, got {out[key]!r}")
    check_bool("output.overwrite", out.get("overwrite", False))
    cfg = RunConfig(model=model, state=state, times=times, options=options,
                    results=out.get("results", f"results/{Path(where).stem}.npz"), plot=out.get("plot"),
                    overwrite=out.get("overwrite", False), **run, **_parse_record(data.get("record", {})),
                    exact=check_bool("compare.exact", data.get("compare", {}).get("exact", False)))
    model, state = cfg.build()  # model and state parameters are checked here (model.x / state.x)
    check_state(model, state)
    if isinstance(model, QuditModel):
        _refuse_record(cfg)
        if cfg.exact:
            raise ValueError("compare.exact is drawn for spin models only: for model 'qudit' compare with "
                             "trajectories.exact_evolution(model, rho1, times) in Python, or remove [compare]")
    functions = cfg.observable_functions(len(model.sizes))  # errors name record.observables.<name>
    try:
        diagonal_spec(model.sizes, cfg.distributions, functions)
    except ValueError as err:
        raise ValueError(f"record: {err}") from None
    return cfg


def load_config(path) -> RunConfig:
    """Read and validate a TOML config file."""
    path = Path(path)
    if path.is_dir():
        raise IsADirectoryError(f"config file {path} is a directory, not a TOML file (e.g. configs/hopfield.toml)")
    if not path.exists():
        raise FileNotFoundError(f"config file {path} does not exist")
    if not path.is_file():
        raise ValueError(f"config file {path} is not a regular file (a device, FIFO or socket): give a TOML file")
    try:
        data = tomllib.loads(path.read_text())
    except PermissionError:
        raise PermissionError(f"config file {path} cannot be read (permission denied)") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
        raise ValueError(f"{path} is not valid TOML ({err})") from None
    return parse_config(data, str(path))
