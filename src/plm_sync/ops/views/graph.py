"""The plan-switch graph of a product line as SVG shapes: plans on a circle, one-way arrows."""

from __future__ import annotations

import math
from typing import Any

RADIUS_PER_PLAN = 18.0
MIN_RADIUS = 110.0
CHAR_WIDTH = 6.5  # of the 11 px labels, for the room they take beside the circle
PAD = 24.0
EPSILON = 1e-9
PARALLEL = 5.0  # A -> B and B -> A are drawn apart, each on its own side


def switch_graph(plans: list[str], switches: list[dict[str, Any]]) -> dict[str, Any]:
    """Nodes (the plans with a switch path) and edges (arrows labelled with the operation).

    Only plans that take part in a switch path are drawn; an arrow stops short of its target
    node so its head shows, and is moved aside so that the path back is not drawn over it.
    """
    involved = {switch["source_plan"] for switch in switches}
    involved |= {switch["target_plan"] for switch in switches}
    names = [name for name in plans if name in involved]
    names += sorted(name for name in involved if name not in plans)
    radius = max(MIN_RADIUS, RADIUS_PER_PLAN * len(names))
    margin = max((len(name) for name in names), default=0) * CHAR_WIDTH + PAD
    width, height = 2 * (radius + margin), 2 * (radius + PAD)
    position = {}
    nodes = []
    for index, name in enumerate(names):
        angle = 2 * math.pi * index / max(len(names), 1) - math.pi / 2
        x, y = width / 2 + radius * math.cos(angle), height / 2 + radius * math.sin(angle)
        position[name] = (x, y)
        right = math.cos(angle) >= -EPSILON  # the top and bottom nodes read rightwards
        nodes.append(
            {
                "name": name,
                "x": round(x, 1),
                "y": round(y, 1),
                "anchor": "start" if right else "end",
                "lx": round(x + (8 if right else -8), 1),
                "ly": round(y + 4, 1),
            }
        )
    edges = []
    for switch in switches:
        x1, y1 = position[switch["source_plan"]]
        x2, y2 = position[switch["target_plan"]]
        length = math.hypot(x2 - x1, y2 - y1) or 1.0
        ux, uy = (x2 - x1) / length, (y2 - y1) / length
        nx, ny = -uy * PARALLEL, ux * PARALLEL  # to the arrow's right
        edges.append(
            {
                "source": switch["source_plan"],
                "target": switch["target_plan"],
                "operation": switch["operation"],
                "active": switch.get("active", True),
                "x1": round(x1 + nx + ux * 8, 1),
                "y1": round(y1 + ny + uy * 8, 1),
                "x2": round(x2 + nx - ux * 10, 1),
                "y2": round(y2 + ny - uy * 10, 1),
                "mx": round(x1 + (x2 - x1) * 0.35 + nx * 2.4, 1),
                "my": round(y1 + (y2 - y1) * 0.35 + ny * 2.4 + 3, 1),
            }
        )
    return {"width": round(width, 1), "height": round(height, 1), "nodes": nodes, "edges": edges}
