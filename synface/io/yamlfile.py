"""Reading a YAML config strictly: no aliases, no duplicate keys, bounded size and depth.

PyYAML's safe loader builds an alias bomb of a few hundred bytes in no time, but walking the result
(merging, validating) never ends; and of two equal keys it silently keeps the second.
"""

from __future__ import annotations

import os
from collections.abc import Hashable
from typing import Any

import yaml

from synface.errors import SynfaceError, one_line
from synface.io.textfile import read_text

MAX_CONFIG_BYTES = 2**20  # the shipped configs are a few kB


class _StrictLoader(yaml.SafeLoader):
    def compose_node(self, parent: yaml.Node | None, index: object) -> yaml.Node | None:
        if self.check_event(yaml.AliasEvent):
            mark = self.peek_event().start_mark
            raise yaml.composer.ComposerError(None, None, "an alias (*name): not allowed in a config", mark)
        return super().compose_node(parent, index)

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Hashable] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            if isinstance(key, Hashable):  # an unhashable key: SafeLoader refuses it itself
                if key in seen:
                    raise yaml.constructor.ConstructorError(None, None, f"duplicate key {key!r}", key_node.start_mark)
                seen.add(key)
        return super().construct_mapping(node, deep)


def read_yaml(path: str | os.PathLike[str], what: str) -> Any:
    """The YAML document in `path` (None when empty); an unreadable one raises naming `path` and `what` it is."""
    try:
        text = read_text(path, MAX_CONFIG_BYTES)
        return yaml.load(text, Loader=_StrictLoader)  # a SafeLoader, stricter
    except OSError as err:
        raise SynfaceError(f"{path}: cannot read {what} ({err})") from None
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        where = f"line {mark.line + 1}: " if mark is not None else ""
        raise SynfaceError(f"{path}: cannot read {what} ({where}{err.problem or err.context})") from None
    except yaml.YAMLError as err:
        raise SynfaceError(f"{path}: cannot read {what} ({one_line(err)})") from None
    except RecursionError:
        raise SynfaceError(f"{path}: cannot read {what} (nested too deeply)") from None
