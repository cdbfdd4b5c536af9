#!/usr/bin/python3
"""Writes igraph_golden.json: small weighted graphs and the modularity that
python-igraph's Leiden (objective "modularity", best of 10 seeds) and
multilevel (Louvain) reach on them, with igraph's partitions. Run with
Debian's python3 and python3-igraph (0.10.2 when generated):
/usr/bin/python3 gen_igraph_golden.py
"""
import json
import random

import igraph as ig

random.seed(7)


def planted(groups, size, pin, pout, weighted):
    n = groups * size
    edges, weights = [], []
    for i in range(n):
        for j in range(i + 1, n):
            p = pin if i // size == j // size else pout
            if random.random() < p:
                edges.append((i, j))
                weights.append(round(1 + random.random(), 3) if weighted else 1.0)
    return n, edges, weights


graphs = []
karate = ig.Graph.Famous("Zachary")
graphs.append(("karate", karate.vcount(), [e.tuple for e in karate.es], [1.0] * karate.ecount()))
graphs.append(("planted clear", *planted(6, 20, 0.5, 0.01, True)))
graphs.append(("planted ambiguous", *planted(6, 40, 0.15, 0.04, True)))
graphs.append(("planted sparse", *planted(10, 30, 0.12, 0.01, False)))

def modularity(n, edges, weights, membership, gamma):
    """Q = 1/2m sum_c [in_c - gamma tot_c^2 / 2m] (igraph 0.10.2's
    Graph.modularity ignores its resolution argument, so compute it here)."""
    deg = [0.0] * n
    inside = {}
    for (i, j), w in zip(edges, weights):
        deg[i] += w
        deg[j] += w
        if membership[i] == membership[j]:
            inside[membership[i]] = inside.get(membership[i], 0.0) + 2 * w
    m2 = sum(deg)
    tot = {}
    for v, c in enumerate(membership):
        tot[c] = tot.get(c, 0.0) + deg[v]
    return sum(inside.get(c, 0.0) - gamma * t * t / m2 for c, t in tot.items()) / m2


out = []
for name, n, edges, weights in graphs:
    g = ig.Graph(n=n, edges=edges)
    g.es["weight"] = weights
    for gamma in (0.5, 1.0, 1.5):
        best = None
        for seed in range(10):
            random.seed(seed)
            ig.set_random_number_generator(random)
            p = g.community_leiden(objective_function="modularity", weights="weight", resolution_parameter=gamma, n_iterations=-1)
            q = modularity(n, edges, weights, p.membership, gamma)
            if best is None or q > best[0]:
                best = (q, p.membership)
        ml = g.community_multilevel(weights="weight", resolution=gamma)
        out.append({"name": name, "n": n, "edges": edges, "weights": weights, "resolution": gamma,
                    "leiden_q": best[0], "leiden": best[1],
                    "louvain_q": modularity(n, edges, weights, ml.membership, gamma)})

json.dump({"igraph": ig.__version__, "graphs": out}, open("igraph_golden.json", "w"))
