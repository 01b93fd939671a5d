"""What the demo prints: acts, one line per thing an actor did, with rich.

Every line is ``<actor> │ <what happened>``; the text comes from the actors (agents
report in their own words, wire.py) and is printed as text, never read as markup.
Colour only on a terminal; piped (the test, CI logs) it is plain text, 110 columns.
"""
from __future__ import annotations

from time import monotonic

from rich.console import Console, RenderableType
from rich.text import Text

STYLES = {"operator": "bold blue", "alice": "cyan", "bob": "magenta", "carol": "green", "dave": "yellow",
          "demo": "bold"}
WIDTH = 9


class Narrator:
    def __init__(self) -> None:
        probe = Console()
        self.console = Console(highlight=False, soft_wrap=True, width=None if probe.is_terminal else 110)
        self.started = monotonic()

    def elapsed(self) -> float:
        return monotonic() - self.started

    def title(self, text: str) -> None:
        self.console.print(Text(text, style="bold"))

    def act(self, number: int, text: str) -> None:
        self.console.print()
        self.console.rule(Text(f"{number}. {text}", style="bold"), align="left")

    def line(self, who: str, text: str, *, style: str = "") -> None:
        lines = text.splitlines() or [""]
        for i, part in enumerate(lines):
            label = (who if i == 0 else "").ljust(WIDTH)
            self.console.print(Text.assemble((label, STYLES.get(who, "")), ("│ ", "dim"), (part, style)))

    def command(self, shown: str) -> None:
        self.line("operator", f"$ {shown}", style="bold")

    def result(self, text: str) -> None:
        """An answer under the command or call above it."""
        self.line("", "  " + text, style="dim")

    def show(self, renderable: RenderableType) -> None:
        self.console.print(renderable)

    def failed(self, text: str) -> None:
        self.console.print()
        self.console.print(Text(f"demo: FAILED — {text}", style="bold red"))
