"""Command-line flags generated from the frozen config dataclasses: the config is the single source of truth.

A field carries its CLI metadata next to its default::

    @dataclass(frozen=True)
    class FooConfig:
        dim: int = field(default=100, metadata={"help": "vector size", "aliases": ("--vector-size", "--size")})
        cell: str = field(default="lstm", metadata={"help": "recurrent cell", "choices": ("rnn", "lstm", "gru")})
        internal: int = field(default=0, metadata={"cli": False})           # not a flag

Metadata keys (all optional):

``help``        what the flag does (the default is appended: ``--help`` shows every default)
``flag``        the flag's name (default: ``--`` + field name with ``_`` → ``-``)
``aliases``     further visible spellings of the same flag
``deprecated``  hidden old spellings; using one prints a one-line notice on stderr and still works
``choices``     allowed values (matched case-insensitively: ``--cell LSTM`` is ``lstm``)
``metavar``     the value's name in ``--help``
``const``       the value of the bare flag (``--dry-run`` = ``--dry-run 3``)
``switch``      ``{"--sg": 1, "--cbow": 0}``: value-less flags that each set a fixed value
``switch_help`` ``{"--sg": "skip-gram: ..."}``: the help of each switch flag
``cli``         ``False``: no flag (filled by the library, e.g. a vocabulary size)

Types come from the annotation: ``int``, ``float``, ``str``, ``bool`` (``--x`` / ``--no-x``),
``X | None`` (``none`` or ``off`` gives ``None``) and ``tuple[int, ...]`` (comma-separated).

Values are layered, later wins: the dataclass default < the verb's declared override (a CLI-only
default, declared in one visible place per verb) < ``base`` (code) < ``--preset`` < ``--config FILE``
(JSON or TOML with the same field names, or the flag names without ``--``; tables/objects are
flattened one level, so ``[model]`` / ``[train]`` sections work) < flags typed on the command line.
"""

from __future__ import annotations

import argparse
import dataclasses
import difflib
import sys
import types
import typing
from typing import Any, Mapping

from wordlab.errors import ConfigError

from .configfile import read_config_file

_REGISTRY = "_configargs"      # namespace attribute: {config key: {field: (dest, default)}}
_EXPLICIT = "_configargs_set"  # namespace attribute: dests typed on the command line
_OWNERS = "_configargs_owners"  # namespace attribute: {dest: config key whose flag it is}
_NONE = ("none", "off", "null")


def _key(config: type) -> str:
    return f"{config.__module__}.{config.__qualname__}"


def _flag(f: dataclasses.Field) -> str:
    return f.metadata.get("flag") or "--" + f.name.replace("_", "-")


def _default(f: dataclasses.Field) -> Any:
    if f.default is not dataclasses.MISSING:
        return f.default
    if f.default_factory is not dataclasses.MISSING:  # type: ignore[misc]
        return f.default_factory()  # type: ignore[misc]
    return dataclasses.MISSING


def _unwrap(tp: Any) -> tuple[Any, bool]:
    """``X | None`` → (X, True); anything else → (tp, False)."""
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if len(args) == 1 and len(typing.get_args(tp)) == 2:
            return args[0], True
    return tp, False


def _show(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, (tuple, list)):
        return ",".join(str(v) for v in value)
    return f"{value:g}" if isinstance(value, float) else str(value)


def _converter(tp: Any, optional: bool, choices: tuple | None, flag: str):
    """A string → value function for argparse (and for values read from a config file)."""
    base = typing.get_origin(tp) or tp
    item = (typing.get_args(tp) or (str,))[0] if base is tuple else None

    def convert(text: Any) -> Any:
        if optional and (text is None or (isinstance(text, str) and text.strip().lower() in _NONE)):
            return None
        if choices is not None:
            lowered = {str(c).lower(): c for c in choices}
            return lowered.get(str(text).lower(), text)
        if base is bool:
            if isinstance(text, bool):
                return text
            s = str(text).strip().lower()
            if s in ("1", "true", "yes", "on"):
                return True
            if s in ("0", "false", "no", "off"):
                return False
            raise argparse.ArgumentTypeError(f"expected on/off (true/false), got {text!r}")
        if base is tuple:
            parts = text if isinstance(text, (list, tuple)) else [p for p in str(text).split(",") if p.strip()]
            try:
                return tuple(item(p) for p in parts)
            except (TypeError, ValueError):
                raise argparse.ArgumentTypeError(f"expected comma-separated {item.__name__} values, "
                                                 f"got {text!r}") from None
        if base is int and isinstance(text, float) and not text.is_integer():
            raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}")
        try:
            return base(text) if base in (int, float, str) else text
        except (TypeError, ValueError):
            kind = {int: "an integer", float: "a number"}.get(base, base.__name__)
            raise argparse.ArgumentTypeError(f"expected {kind}, got {text!r}") from None

    convert.__name__ = getattr(base, "__name__", "value")  # argparse names the type in its error
    return convert


def _mark(namespace: argparse.Namespace, dest: str, option: str, deprecated: Mapping[str, str]) -> None:
    if option in deprecated:
        print(f"wordlab: warning: {option} is deprecated; use {deprecated[option]}", file=sys.stderr)
    explicit = set(getattr(namespace, _EXPLICIT, ()))
    explicit.add(dest)
    setattr(namespace, _EXPLICIT, explicit)


class _Store(argparse.Action):
    """Stores the value and records that it was typed (see :func:`explicitly_set`)."""

    def __init__(self, *a: Any, deprecated: Mapping[str, str] = {}, **kw: Any) -> None:
        self.deprecated = dict(deprecated)
        super().__init__(*a, **kw)

    def __call__(self, parser, namespace, values, option_string=None):  # noqa: D102
        setattr(namespace, self.dest, self.const if values is None and self.nargs == "?" else values)
        _mark(namespace, self.dest, option_string or "", self.deprecated)


class _Bool(argparse.Action):
    def __init__(self, *a: Any, deprecated: Mapping[str, str] = {}, **kw: Any) -> None:
        self.deprecated = dict(deprecated)
        super().__init__(*a, nargs=0, **kw)

    def __call__(self, parser, namespace, values, option_string=None):  # noqa: D102
        setattr(namespace, self.dest, not (option_string or "").startswith("--no-"))
        _mark(namespace, self.dest, option_string or "", self.deprecated)


class _Const(argparse.Action):
    def __init__(self, *a: Any, deprecated: Mapping[str, str] = {}, **kw: Any) -> None:
        self.deprecated = dict(deprecated)
        super().__init__(*a, nargs=0, **kw)

    def __call__(self, parser, namespace, values, option_string=None):  # noqa: D102
        setattr(namespace, self.dest, self.const)
        _mark(namespace, self.dest, option_string or "", self.deprecated)


class DefaultsHelpFormatter(argparse.HelpFormatter):
    """``--help`` shows every default: appended to a flag's help unless it already names one."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        if ("default" in text.lower() or action.default in (None, False, argparse.SUPPRESS)
                or not action.option_strings or action.nargs == 0 or text == argparse.SUPPRESS):
            return text
        return f"{text} (default: {_show(action.default).replace('%', '%%')})"


def _existing(parser: argparse._ActionsContainer, option: str) -> argparse.Action | None:
    return parser._option_string_actions.get(option)


def add_config_arguments(parser: argparse._ActionsContainer, config: type, *, overrides: Mapping[str, Any] | None = None,
                         exclude: tuple[str, ...] | list[str] = (), group: argparse._ActionsContainer | None = None
                         ) -> None:
    """Add one flag per field of the dataclass ``config`` (see the module docstring).

    ``overrides``: CLI-only defaults {field: value}; ``exclude``: fields without a flag here;
    ``group``: an argument group to put the flags in. A flag another config of the same parser
    already added (``--dim`` for two architectures) is shared: both configs read its value.
    """
    overrides = dict(overrides or {})
    unknown = set(overrides) - {f.name for f in dataclasses.fields(config)}
    if unknown:
        raise ValueError(f"overrides for unknown fields of {config.__name__}: {', '.join(sorted(unknown))}")
    target = group if group is not None else parser
    hints = typing.get_type_hints(config)
    registry = dict(parser._defaults.get(_REGISTRY) or {})
    owners = dict(parser._defaults.get(_OWNERS) or {})
    table: dict[str, tuple[str, Any]] = {}
    for f in dataclasses.fields(config):
        md = f.metadata
        if md.get("cli", True) is False or f.name in exclude:
            continue
        default = overrides.get(f.name, _default(f))
        flag = _flag(f)
        shared = _existing(parser, flag)
        if shared is not None:  # the same idea in another config (another architecture): one flag, both read it
            table[f.name] = (shared.dest, default)
            meaning = md.get("help", "")
            differs = bool(meaning) and meaning.split(" (")[0] not in (shared.help or "")
            if shared.help and (differs or (default is not dataclasses.MISSING and default != shared.default)):
                # one flag, two architectures: say what it means and defaults to for the other one too
                label = getattr(config, "cli_label", "") or config.__name__.removesuffix("Config") or config.__name__
                said = f"{label}: {meaning.replace('%', '%%')}, default {_show(default)}" if differs \
                    else f"{label}: {_show(default)}"
                shared.help = f"{shared.help[:-1]}; {said})" if shared.help.endswith(")") \
                    else f"{shared.help} ({said})"
            continue
        tp, optional = _unwrap(hints[f.name])
        choices = tuple(md["choices"]) if md.get("choices") is not None else None
        text = md.get("help", f.name.replace("_", " "))
        if "default" not in text.lower():
            text = f"{text} (default: {_show(default) if default is not dataclasses.MISSING else 'required'})"
        text = text.replace("%", "%%")
        aliases = tuple(md.get("aliases", ()))
        deprecated = tuple(md.get("deprecated", ()))
        dest = f.name
        if "switch" in md:
            helps = md.get("switch_help", {})
            for i, (option, value) in enumerate(md["switch"].items()):
                target.add_argument(option, dest=dest, action=_Const, const=value,
                                    default=default if i == 0 else argparse.SUPPRESS,
                                    help=(helps.get(option) or f"{f.name} = {_show(value)}").replace("%", "%%")
                                    + (" (the default)" if value == default else ""))
        elif typing.get_origin(tp) is None and tp is bool and not optional:
            names = [flag, *aliases]
            target.add_argument(*names, *[n.replace("--", "--no-", 1) for n in names], dest=dest, action=_Bool,
                                default=default, help=text)
            if deprecated:
                old = {n: flag for n in deprecated} | {n.replace("--", "--no-", 1): flag.replace("--", "--no-", 1)
                                                      for n in deprecated}
                target.add_argument(*old, dest=dest, action=_Bool, deprecated=old, default=argparse.SUPPRESS,
                                    help=argparse.SUPPRESS)
        else:
            kw: dict[str, Any] = {"type": _converter(tp, optional, choices, flag), "dest": dest, "action": _Store}
            if choices is not None:
                kw["choices"] = choices
            if choices is None or md.get("metavar"):
                kw["metavar"] = md.get("metavar") or flag.lstrip("-").upper().replace("-", "_")
            if "const" in md:
                kw.update(nargs="?", const=md["const"])
            target.add_argument(flag, *aliases, default=default, help=text, **kw)
            if deprecated:
                target.add_argument(*deprecated, default=argparse.SUPPRESS, help=argparse.SUPPRESS,
                                    deprecated={n: flag for n in deprecated}, **kw)
        table[f.name] = (dest, default)
        owners[dest] = _key(config)
    registry[_key(config)] = {**registry.get(_key(config), {}), **table}
    parser.set_defaults(**{_REGISTRY: registry, _OWNERS: owners})


def add_config_file_argument(parser: argparse._ActionsContainer, presets: Mapping[str, Mapping[str, Any]] | None = None,
                             keys: tuple[str, ...] = ()) -> None:
    """``--config FILE`` (JSON or TOML of the same fields; flags override it) and, with ``presets``, ``--preset``.

    ``keys``: hand-written flags a file (or preset) may also set, read with :func:`layered_value` (e.g. ``arch``).
    """
    parser.set_defaults(_configargs_keys=tuple(keys))
    parser.add_argument("--config", dest="config_file", metavar="FILE", default=None,
                        help="read options from a JSON or TOML file of the same names (flags typed here win)")
    if presets:
        names = tuple(presets)
        parser.add_argument("--preset", choices=names, default=None, type=lambda s: s.lower(),
                            help="a published configuration (flags and --config win): "
                                 + "; ".join(f"{n}: {_describe(presets[n])}" for n in names).replace("%", "%%"))
        parser.set_defaults(_configargs_presets={k: dict(v) for k, v in presets.items()})


def _describe(values: Mapping[str, Any]) -> str:
    return ", ".join(f"{k.replace('_', '-')} {_show(v)}" for k, v in values.items())


def _names(config: type) -> dict[str, str]:
    """Every name a file may use for a field of ``config``: the field, its flag and aliases (without ``--``)."""
    out = {}
    for f in dataclasses.fields(config):
        if f.metadata.get("cli", True) is False:
            continue
        out[f.name] = f.name
        for option in (_flag(f), *f.metadata.get("aliases", ()), *f.metadata.get("deprecated", ())):
            out.setdefault(option.lstrip("-").replace("-", "_"), f.name)
    return out


def _layer(args: argparse.Namespace) -> tuple[dict[str, Any], dict[str, Any], str]:
    """The preset's and the config file's values (cached on ``args``), and the file's name."""
    cached = getattr(args, "_configargs_layers", None)
    if cached is not None:
        return cached
    preset_name = getattr(args, "preset", None)
    preset = dict((getattr(args, "_configargs_presets", None) or {}).get(preset_name, {})) if preset_name else {}
    path = getattr(args, "config_file", None)
    file_values = read_config_file(path) if path else {}
    if file_values:  # unknown keys: one line, before any work
        known: dict[str, str] = {k: k for k in getattr(args, "_configargs_keys", ())}
        for key in (getattr(args, _REGISTRY, None) or {}):
            config = _resolve(key)
            if config is not None:
                known.update(_names(config))
        for name in file_values:
            if name not in known:
                close = difflib.get_close_matches(name, list(known), n=1)
                raise ConfigError(f"{path}: unknown option {name!r}"
                                  + (f" (did you mean {close[0]!r}?)" if close else "")
                                  + f"; known: {', '.join(sorted(set(known.values())))}")
    cached = (preset, file_values, str(path or ""))
    setattr(args, "_configargs_layers", cached)
    return cached


def _resolve(key: str) -> type | None:
    module, _, name = key.rpartition(".")
    obj = sys.modules.get(module)
    for part in name.split("."):
        obj = getattr(obj, part, None) if obj is not None else None
    return obj if isinstance(obj, type) else None


def config_from_arguments(config: type, args: argparse.Namespace, base: Any = None, **fixed: Any) -> Any:
    """The ``config`` instance the parsed ``args`` describe (its ``__post_init__`` checks the values).

    Layers, later wins: the flags' defaults (dataclass default or the verb's override) < ``base``
    (a ``config`` instance or a dict) < ``--preset`` < ``--config FILE`` < flags typed on the command
    line < ``fixed`` (values the caller sets, e.g. a vocabulary size).
    """
    fields = {f.name: f for f in dataclasses.fields(config)}
    table = (getattr(args, _REGISTRY, None) or {}).get(_key(config))
    if table is None:  # flags added by hand: read the fields args happens to have
        table = {n: (n, getattr(args, n)) for n in fields if hasattr(args, n)}
    values: dict[str, Any] = {n: d for n, (_, d) in table.items() if d is not dataclasses.MISSING}
    if base is not None:
        items = dataclasses.asdict(base) if dataclasses.is_dataclass(base) else dict(base)
        values.update({k: v for k, v in items.items() if k in fields})
    preset, file_values, path = _layer(args)
    names = _names(config)
    hints = typing.get_type_hints(config)
    for source, layer in (("--preset", preset), (path, file_values)):
        for name, value in layer.items():
            field_name = names.get(name.replace("-", "_"))
            if field_name is None:
                continue
            f = fields[field_name]
            tp, optional = _unwrap(hints[field_name])
            choices = tuple(f.metadata["choices"]) if f.metadata.get("choices") is not None else None
            try:
                value = _converter(tp, optional, choices, _flag(f))(value)
            except argparse.ArgumentTypeError as e:
                raise ConfigError(f"{source}: {name}: {e}") from None
            if choices is not None and value not in choices:
                raise ConfigError(f"{source}: {name}: {value!r} is not one of {', '.join(map(str, choices))}")
            values[field_name] = value
    explicit = getattr(args, _EXPLICIT, set())
    for name, (dest, _) in table.items():
        if dest in explicit:
            values[name] = getattr(args, dest)
    values.update(fixed)
    missing = [n for n, f in fields.items() if n not in values and _default(f) is dataclasses.MISSING]
    if missing:
        raise ConfigError(f"{config.__name__}: no value for {', '.join(missing)}")
    return config(**values)


def layered_value(args: argparse.Namespace, dest: str, choices: tuple | list | None = None) -> Any:
    """A hand-written flag's value with the same layering as the configs: typed > --config FILE > --preset >
    default; with ``choices`` the value is matched case-insensitively (ConfigError when it is none of them)."""
    if explicitly_set(args, dest):
        return getattr(args, dest)
    preset, file_values, path = _layer(args)
    source, value = (path, file_values[dest]) if dest in file_values else ("--preset", preset.get(dest, getattr(args, dest)))
    if choices is not None:
        lowered = {str(c).lower(): c for c in choices}
        if str(value).lower() not in lowered:
            raise ConfigError(f"{source}: {dest}: {value!r} is not one of {', '.join(map(str, choices))}")
        value = lowered[str(value).lower()]
    return value


def explicitly_set(args: argparse.Namespace, dest: str) -> bool:
    """Whether ``--dest`` was typed on the command line (not only its default)."""
    return dest in getattr(args, _EXPLICIT, set())


def defaults_of(parser: argparse.ArgumentParser, config: type) -> dict[str, Any]:
    """{field: default the parser gives} for ``config``'s flags (the default-parity test reads this): the
    flag's own default, or for a flag another config added first (shared ``--dim``), this config's."""
    table = (parser._defaults.get(_REGISTRY) or {}).get(_key(config), {})
    owners = parser._defaults.get(_OWNERS) or {}
    shown = {}
    for a in parser._actions:  # the first action of a dest carries its default (hidden aliases have none)
        if a.default is not argparse.SUPPRESS:
            shown.setdefault(a.dest, a.default)
    return {name: shown.get(dest, d) if owners.get(dest) == _key(config) else d for name, (dest, d) in table.items()}


def add_deprecated_switch(parser: argparse._ActionsContainer, option: str, *, dest: str, value: Any, use: str) -> None:
    """A hidden old value-less flag that sets ``dest`` to ``value`` (``--harmonic`` → ``--weighting harmonic``)."""
    parser.add_argument(option, dest=dest, action=_Const, const=value, default=argparse.SUPPRESS,
                        help=argparse.SUPPRESS, deprecated={option: use})


def add_deprecated_option(parser: argparse._ActionsContainer, option: str, *, dest: str, use: str,
                          **kwargs: Any) -> None:
    """A hidden old spelling of a hand-written flag (``--max-size`` → ``--max-vocab``): works, with a notice."""
    parser.add_argument(option, dest=dest, action=_Store, default=argparse.SUPPRESS, help=argparse.SUPPRESS,
                        deprecated={option: use}, **kwargs)


#: ``action=`` for a hand-written flag whose typed value must beat ``--config FILE`` / ``--preset`` (``--arch``)
ExplicitStore = _Store


def case_insensitive_choices(parser: argparse.ArgumentParser) -> None:
    """Hand-written flags with string choices match them case-insensitively too (``--method 3CosMul``)."""
    for action in parser._actions:
        choices = action.choices
        if (isinstance(choices, (list, tuple)) and choices and all(isinstance(c, str) for c in choices)
                and action.type in (None, str)):
            lowered = {c.lower(): c for c in choices}

            def canon(text: str, lowered: dict = lowered) -> str:
                return lowered.get(text.lower(), text)

            action.type = canon
