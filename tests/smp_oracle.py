"""A slow, obviously-correct Spatial Model of Politics: plain loops over actors, pairs and third
parties, written straight from the definitions (see docs/models/smp.md). The fast vectorised
model in ``allegiance.models.smp`` is checked against it on random scenarios.

Deterministic transitions only; positions in [0, 1], saliences summing to at most 1.
"""

from __future__ import annotations

import math


def vote(rule, w, du):
    binary = max(-1.0, min(1.0, du / 1e-8))
    if rule == "Binary":
        return w * binary
    if rule == "PropBin":
        return w * (0.8 * du + 0.2 * binary)
    if rule == "Prop":
        return w * du
    if rule == "PropCbc":
        return w * (0.5 * du + 0.5 * du ** 3)
    if rule == "Cubic":
        return w * du ** 3
    if rule == "ASymProsp":
        return w * du if du < 0 else (2.0 * w * du / 3.0 if du > 0 else 0.0)
    raise ValueError(rule)


def util(d, r):
    return (1 - d) * (1 + d * r) if d <= 1 else (1 - d) * (1 + r)


def est_risk(rh, ri, adjust):
    return {"None": rh, "OneThird": (2 * rh + ri) / 3, "Half": (rh + ri) / 2,
            "TwoThirds": (rh + 2 * ri) / 3, "Full": ri}[adjust]


def dist(ideal, pos, sal):
    num = sum((s * (a - b)) ** 2 for a, b, s in zip(ideal, pos, sal, strict=True))
    den = sum(s * s for s in sal)
    return math.sqrt(num / den) if den > 0 else 0.0


def victory(model, s1, s2):
    if model == "Binary":
        if s1 >= 1.1 * s2:
            x1, x2 = 1.0, 1e-6
        elif s2 >= 1.1 * s1:
            x1, x2 = 1e-6, 1.0
        else:
            r = s1 / (s1 + s2)
            x1 = (r * 2.1 - 1) / 0.1
            x2 = 1 - x1
    else:
        power = {"Linear": 1, "Square": 2, "Quartic": 4, "Octic": 8}[model]
        x1, x2 = s1 ** power, s2 ** power
    return x1 / (x1 + x2)


def scalar_pce(u, w, rule, vpm, pcem):
    """u[voter][option] -> probabilities of the options."""
    n_voters, m = len(u), len(u[0])
    c = [[1e-8] * m for _ in range(m)]
    for a in range(m):
        for b in range(a):
            for k in range(n_voters):
                v = vote(rule, w[k], u[k][a] - u[k][b])
                if v > 0:
                    c[a][b] += v
                elif v < 0:
                    c[b][a] -= v
    p_win = [[0.5 if a == b else (victory(vpm, c[a][b], c[b][a]) if a > b
                                  else 1 - victory(vpm, c[b][a], c[a][b]))
              for b in range(m)] for a in range(m)]
    if pcem == "Conditional":
        p = [math.prod(p_win[a]) for a in range(m)]
        total = sum(p)
        return [x / total for x in p]
    p = [1.0 / m] * m
    if pcem == "MarkovUniform":
        tol = 1e-6
        while True:
            q = [sum(p_win[a][b] * (p[a] + p[b]) for b in range(m)) / m for a in range(m)]
            change = max(abs(q[a] - p[a]) for a in range(m))
            p = [(p[a] + q[a]) / 2 for a in range(m)]
            if change <= tol:
                return p
    inc = [[c[a][b] * p_win[a][b] + (1e-10 if a == b else 0.0) for b in range(m)]
           for a in range(m)]
    col = [sum(inc[k][b] for k in range(m)) for b in range(m)]
    chal = [[inc[a][b] / col[b] for b in range(m)] for a in range(m)]
    while True:
        ct = [[p[a] * chal[b][a] for b in range(m)] for a in range(m)]
        q = [sum(p_win[a][b] * (ct[a][b] + ct[b][a]) for b in range(m)) for a in range(m)]
        change = max(abs(q[a] - p[a]) for a in range(m))
        p = [(p[a] + q[a]) / 2 for a in range(m)]
        if change <= 1e-8:
            return p


def big_r(p, rng_name):
    lo, hi = min(p), max(p)
    if hi == lo:
        return [0.0] * len(p)
    if rng_name == "Min":
        return [(x - lo) / (hi - lo) for x in p]
    if rng_name == "Mid":
        return [(3 * x - hi - 2 * lo) / (2 * (hi - lo)) for x in p]
    return [(2 * x - hi - lo) / (hi - lo) for x in p]


def interp(ti, si, pi, tj, sj, pj, rule):
    if rule == "S2PMax":
        di, dj = max(pj - pi, 0.0), max(pi - pj, 0.0)
        mi = di * sj * sj / (di * sj * sj + 1e-6 + (1 - di) * si * si)
        mj = dj * si * si / (dj * si * si + 1e-6 + (1 - dj) * sj * sj)
        return ti + mi * (tj - ti), tj + mj * (ti - tj)
    e = 1 if rule == "S1P1" else 2
    wi, wj = si ** e * pi ** e, sj ** e * pj ** e

    def r4(x):
        return math.trunc(0.5 + x * 10000.0) / 10000.0
    tot = wi + 1e-6 + wj
    return r4(((wi + 1e-6) * ti + wj * tj) / tot), r4((wi * ti + (1e-6 + wj) * tj) / tot)


def run(pos, sal, cap, *, rule="Prop", vpm="Linear", pcem="Conditional", adjust="OneThird",
        r_range="Mid", commit="SemiCommit", ivb="S2P2", bmod="InitOnlyInterp", max_turns=100,
        min_turns=2, min_ratio=0.02, min_sig=1e-4, accommodation=None, uniforms=None):
    """Positions after every turn (list of n×D lists).

    ``accommodation``: None (ideals = positions) or an n×n list of lists; after each turn
    ideal_i = Σ_j A_ij x_j + (1 − min(Σ_j A_ij, 1)) ideal_i (KTAB's ideal accommodation).
    ``uniforms``: None (Deterministic: each actor adopts its likeliest option) or one list of n
    uniform draws per turn (Stochastic: actor k adopts the first option whose cumulative
    probability reaches its draw)."""
    n, dims = len(pos), len(pos[0])
    pos = [list(p) for p in pos]
    ideal = [list(p) for p in pos]
    history = [pos]
    s_sum = [sum(s) for s in sal]
    wgt = [cap[i] * s_sum[i] for i in range(n)]
    first = None
    t = 0
    while True:
        d = [[dist(ideal[i], pos[j], sal[i]) for j in range(n)] for i in range(n)]
        value = [[util(d[i][j], 0.0) for j in range(n)] for i in range(n)]
        risk = big_r(scalar_pce(value, cap, rule, vpm, pcem), r_range)

        def u(h, a, b, d=d, risk=risk):
            return util(d[a][b], est_risk(risk[h], risk[a], adjust))

        def estimate(h, k, i, j, u=u):
            ci = vote(rule, wgt[i], u(h, i, i) - u(h, i, j))
            cj = vote(rule, wgt[j], u(h, j, i) - u(h, j, j))
            c_ij = 1e-10 + max(ci, 0) + max(cj, 0)
            c_ji = 1e-10 - min(ci, 0) - min(cj, 0)
            base_ij, base_ji = c_ij, c_ji
            for m in range(n):
                if m in (i, j):
                    continue
                uni, unj, unn = u(h, m, i), u(h, m, j), u(h, m, m)
                cn = vote(rule, wgt[m], uni - unj)
                cni = base_ij + max(cn, 0)
                cnj = base_ji - min(cn, 0)
                pin = cni / (cni + cnj)
                pjn = 1 - pin
                if commit == "SemiCommit":
                    a = pin * (2 * uni + unn) + pjn * 3 * unj
                    b = pin * 3 * uni + pjn * (2 * unj + unn)
                elif commit == "FullCommit":
                    a = b = pin * 3 * uni + pjn * 3 * unj
                else:
                    a = b = pin * (2 * uni + unn) + pjn * (2 * unj + unn)
                v = vote(rule, wgt[m], a - b)
                c_ij += max(v, 0)
                c_ji -= min(v, 0)
            p = c_ij / (c_ij + c_ji)
            uki, ukj = u(h, k, i), u(h, k, j)
            gain = (1 - s_sum[j]) * 2 * uki + s_sum[j] * (p * 2 * uki + (1 - p) * 2 * ukj) \
                - (uki + ukj)
            return p, gain

        bargains = []  # (initiator, receiver, pos_i, pos_j)
        for i in range(n):
            best, best_j, best_p = -1.0, -1, 0.0
            for j in range(n):
                if j == i:
                    continue
                p, g = estimate(i, i, i, j)
                if g > 1e-5 and g > best:
                    best, best_j, best_p = g, j, p
            if best_j < 0:
                continue
            j = best_j
            g_ji = estimate(j, i, i, j)[1]
            iij = [interp(pos[i][x], sal[i][x], best_p, pos[j][x], sal[j][x], 1 - best_p, ivb)
                   for x in range(dims)]
            jij = [interp(pos[i][x], sal[i][x], g_ji, pos[j][x], sal[j][x], 1 - g_ji, ivb)
                   for x in range(dims)]
            if bmod in ("InitOnlyInterp", "InitRcvrInterp"):
                bargains.append((i, j, [b[0] for b in iij], [b[1] for b in iij]))
            if bmod == "InitRcvrInterp":
                bargains.append((i, j, [b[0] for b in jij], [b[1] for b in jij]))
            if bmod == "PWCompInterp":
                wi, wj = cap[i] * s_sum[i], cap[i] * s_sum[j]
                bargains.append((i, j,
                                 [(wi * iij[x][0] + wj * jij[x][0]) / (wi + wj)
                                  for x in range(dims)],
                                 [(wi * iij[x][1] + wj * jij[x][1]) / (wi + wj)
                                  for x in range(dims)]))
        own = [[u(a, a, b) for b in range(n)] for a in range(n)]
        new = [list(p) for p in pos]
        for k in range(n):
            options = [None] + [b for b in bargains if k in (b[0], b[1])]
            table = []
            for a in range(n):
                row = []
                for opt in options:
                    if opt is None:
                        row.append(sum(own[a]) / n)
                        continue
                    bi, br, pi_, pr_ = opt
                    total = util(dist(ideal[a], pi_, sal[a]), risk[a]) + \
                        util(dist(ideal[a], pr_, sal[a]), risk[a])
                    total += sum(own[a][m] for m in range(n) if m not in (bi, br))
                    row.append(total / n)
                table.append(row)
            p = scalar_pce(table, cap, rule, vpm, pcem)
            if uniforms is None:
                best = max(range(len(p)), key=lambda x: (p[x], -x))
            else:
                cumulative, best = 0.0, len(p) - 1
                for x, px in enumerate(p):
                    cumulative += px
                    if uniforms[t][k] <= cumulative:
                        best = x
                        break
            if options[best] is not None:
                bi, br, pi_, pr_ = options[best]
                new[k] = list(pi_ if k == bi else pr_)
        if accommodation is None:
            ideal = [list(p) for p in new]
        else:
            ideal = [[sum(accommodation[i][j] * new[j][x] for j in range(n))
                      + (1 - min(sum(accommodation[i]), 1.0)) * ideal[i][x] for x in range(dims)]
                     for i in range(n)]
        t += 1
        move = sum(math.dist(new[i], pos[i]) for i in range(n))
        if first is None:
            first = move + min_sig
        pos = new
        history.append(pos)
        if t >= max_turns or (t >= min_turns and move / first < min_ratio):
            return history
