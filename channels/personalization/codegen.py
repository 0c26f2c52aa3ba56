"""The sandbox's code generator: Jinja's own, with ``~`` (``Concat``) routed through the environment so
the strings it joins are charged to the render's memory budget before the join (see ``budget``)."""

from __future__ import annotations

from jinja2 import nodes
from jinja2.compiler import CodeGenerator, Frame, optimizeconst


class BudgetedCodeGenerator(CodeGenerator):
    @optimizeconst
    def visit_Concat(self, node: nodes.Concat, frame: Frame) -> None:
        if frame.eval_ctx.volatile:
            markup = "context.eval_ctx.volatile"
        elif frame.eval_ctx.autoescape:
            markup = "True"
        else:
            markup = "False"
        self.write("environment.oc_concat((")
        for arg in node.nodes:
            self.visit(arg, frame)
            self.write(", ")
        self.write(f"), {markup})")
