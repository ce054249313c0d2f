"""Independent computation of DESIGN.md section 6 for a scenario, in floating point and plain
Python, compared with `trustband contract run --json` output.

Reads the scenario and the run's JSON; applies the transactions the run accepted (acceptance
rules are tested elsewhere) and recomputes initial trust, priority indices, the service order,
allocations, payments, refunds, penalties, and behaviour trust. Prints "ok" or the differences.
"""
import json, math, sys
from datetime import datetime, timezone


def ns(obj, key):
    if key + "_ns" in obj:
        return obj[key + "_ns"]
    t = datetime.strptime(obj[key].replace("Z", ""), "%Y-%m-%dT%H:%M:%S").replace(tzinfo=timezone.utc)
    return int(t.timestamp()) * 10**9


def duration(obj, key):
    return obj[key + "_ns"] if key + "_ns" in obj else round(obj[key + "_s"] * 1e9)


P = dict(trust_max_milli=2_000_000, trust_threshold_milli=150_000, omega_milli=500, sigmoid_scale_milli=10_000,
         trust_window_periods=10, kappa_milli_per_mhz_s=1, penalty_fee=100, reporter_share_permille=200,
         arbitration_blocks=20, false_report_trust_penalty_milli=10_000)


def main(scenario_path, output_path):
    scenario = json.load(open(scenario_path))
    out = json.load(open(output_path))
    P.update(scenario["genesis"].get("params", {}))
    tmax, trth = P["trust_max_milli"] / 1000, P["trust_threshold_milli"] / 1000
    omega, s = P["omega_milli"] / 1000, P["sigmoid_scale_milli"] / 1000
    acc = {}

    def new_account(id, role, deposit, balance):
        acc[id] = dict(role=role, deposit=deposit, balance=balance, reg=deposit, trust=min(tmax, 100 + deposit), accessed=[], violated=[])

    for a in scenario["genesis"].get("accounts", []):
        new_account(a["id"], a["role"], a.get("deposit", 0), a.get("balance", 0))
    alloc = {a["account"]: a["amount"] for a in scenario["genesis"].get("allocations", [])}

    def behaviour(a, period):
        first = period - P["trust_window_periods"] + 1
        na = len([p for p in a["accessed"] if p >= first])
        nv = len([p for p in a["violated"] if p >= first and p in a["accessed"]])
        return min(tmax, (100 + a["reg"]) * (1 - nv / na)) if na else min(tmax, 100 + a["reg"])

    status = {(t["height"], t["index"]): t["status"] for t in out["transactions"]}
    offers, demands, grants, cases, rounds, period = [], [], {}, [], [], 0
    expected_rounds = []
    blocks = scenario.get("blocks", []) + [{"txs": [t]} for t in scenario.get("transactions", [])]
    time = ns(scenario["genesis"], "time") if ("time" in scenario["genesis"] or "time_ns" in scenario["genesis"]) else 0
    for h, block in enumerate(blocks, start=1):
        time = ns(block, "time") if ("time" in block or "time_ns" in block) else time + 10**9
        for i, tx in enumerate(block.get("txs", [])):
            if status.get((h, i)) != "accepted":
                continue
            kind, signer = tx["type"], tx["signer"]
            if kind == "register":
                new_account(signer, tx["role"], tx["deposit"], alloc.get(signer, 0) - tx["deposit"])
            elif kind == "top_up":
                acc[signer]["balance"] -= tx["amount"]; acc[signer]["deposit"] += tx["amount"]
            elif kind == "withdraw":
                acc[signer]["balance"] += tx["amount"]; acc[signer]["deposit"] -= tx["amount"]
            elif kind == "offer":
                offers.append(dict(id=tx["id"], mno=signer, low=tx["freq_low_hz"], bw=tx["freq_high_hz"] - tx["freq_low_hz"],
                                   area=tx["area"], start=ns(tx, "start"), end=ns(tx, "end"), price=tx["unit_price_milli"] / 1000, granted=0))
            elif kind == "demand":
                acc[signer]["balance"] -= tx["deposit"]
                demands.append(dict(id=tx["id"], user=signer, bw=tx["bandwidth_hz"], dur=duration(tx, "duration"), area=tx["area"],
                                    start=ns(tx, "start") if "start" in tx or "start_ns" in tx else 0, deposit=tx["deposit"]))
            elif kind == "close_round":
                period += 1
                entries = []
                for r, d in enumerate(demands):
                    tv = acc[d["user"]]["trust"]
                    pr = 1 / (1 + math.log(1 + r)) + omega / (1 + math.exp(-(tv - trth) / s))
                    entries.append(dict(demand=d["id"], rank=r, priority=pr, granted_hz=0, paid=0, refunded=0))
                order = sorted(range(len(demands)), key=lambda k: (-entries[k]["priority"], k))
                for served, k in enumerate(order):
                    d, e = demands[k], entries[k]
                    e["served_order"] = served
                    want, budget = d["bw"], d["deposit"]
                    for o in offers:
                        if want == 0:
                            break
                        start = d["start"] or o["start"]
                        # Same area, inside the offer's window, offer still live, and not wholly past.
                        if o["area"] != d["area"] or start < o["start"] or start + d["dur"] > o["end"] or o["end"] <= time or start + d["dur"] <= time:
                            continue
                        # Bandwidth the budget affords: tokens / (MHz·s price), in Hz, rounded down.
                        afford = budget * 10**18 // (d["dur"] * round(o["price"] * 1000)) if o["price"] > 0 else 10**30
                        take = min(want, o["bw"] - o["granted"], afford)
                        if take <= 0:
                            continue
                        cost = -(-take * d["dur"] * round(o["price"] * 1000) // 10**18)
                        gid = f'{d["id"]}@{o["id"]}'
                        grants[gid] = dict(holder=d["user"], mno=o["mno"], low=o["low"] + o["granted"], high=o["low"] + o["granted"] + take, period=period)
                        o["granted"] += take; want -= take; budget -= cost
                        acc[o["mno"]]["balance"] += cost
                        e["granted_hz"] += take; e["paid"] += cost
                        if period not in acc[o["mno"]]["accessed"]:
                            acc[o["mno"]]["accessed"].append(period)
                    if e["granted_hz"] > 0 and period not in acc[d["user"]]["accessed"]:
                        acc[d["user"]]["accessed"].append(period)
                    acc[d["user"]]["balance"] += budget
                    e["refunded"] = budget
                demands = []
                expected_rounds.append(entries)
                for a in acc.values():
                    if a["accessed"]:
                        a["trust"] = behaviour(a, period)
            elif kind == "evidence":
                r = tx["record"]
                g = grants[r["grant_id"]]
                start, end = ns(r, "start"), ns(r, "end")
                rule = r.get("rule", r["kind"])
                dup = [c for c in cases if c["grant"] == r["grant_id"] and c["rule"] == rule and c["start"] <= end and start <= c["end"]]
                if not dup:
                    vals = sorted((id, round(a["trust"] * 1000)) for id, a in acc.items() if a["role"] == "validator" and a["trust"] >= trth and a["trust"] > 0)
                    cases.append(dict(grant=r["grant_id"], rule=rule, start=start, end=end, reporter=signer, open=True, votes={},
                                      suspect=g["mno"] if r["kind"] == "degradation" else g["holder"],
                                      harmed=g["holder"] if r["kind"] == "degradation" else g["mno"], power=dict(vals), height=h, penalty=0))
            elif kind == "vote":
                c = cases[tx["case_index"]]
                c["votes"][signer] = tx["guilty"]
                decide(c, acc, P, grants, period, behaviour, final=False)
        for c in cases:
            if c["open"] and c["height"] + P["arbitration_blocks"] <= h:
                decide(c, acc, P, grants, period, behaviour, final=True)

    problems = []
    def check(what, ours, theirs, tol=0):
        if (abs(ours - theirs) > tol) if isinstance(ours, (int, float)) and isinstance(theirs, (int, float)) else ours != theirs:
            problems.append(f"{what}: oracle {theirs}, trustband {ours}")

    for r, (got, want) in enumerate(zip(out["rounds"], expected_rounds)):
        for e, w in zip(got["entries"], want):
            for key in ["rank", "served_order", "granted_hz", "paid", "refunded"]:
                check(f"round {r + 1} {w['demand']} {key}", e[key], w[key])
            check(f"round {r + 1} {w['demand']} priority", e["priority_nano"] / 1e9, w["priority"], 2e-9)
    check("rounds", len(out["rounds"]), len(expected_rounds))
    got_grants = {g["id"]: g for g in out["grants"]}
    check("grant ids", sorted(got_grants), sorted(grants))
    for gid, g in grants.items():
        if gid in got_grants:
            check(f"grant {gid} band", (got_grants[gid]["freq_low_hz"], got_grants[gid]["freq_high_hz"]), (g["low"], g["high"]))
    for a in out["accounts"]:
        w = acc[a["id"]]
        check(f"{a['id']} trust", a["trust_milli"] / 1000, w["trust"], 0.0011)
        check(f"{a['id']} balance", a["balance"], w["balance"])
        check(f"{a['id']} deposit", a["deposit"], w["deposit"])
    check("cases", len(out["cases"]), len(cases))
    for got, want in zip(out["cases"], cases):
        check(f"case {got['grant']} verdict", got["verdict"], want.get("verdict", "open"))
        check(f"case {got['grant']} penalty", got["penalty"], want["penalty"])
    print("ok" if not problems else "\n".join(problems))


def decide(c, acc, P, grants, period, behaviour, final):
    total = sum(c["power"].values())
    guilty = sum(c["power"][v] for v, g in c["votes"].items() if g and v in c["power"])
    innocent = sum(c["power"][v] for v, g in c["votes"].items() if not g and v in c["power"])
    if guilty * 2 > total:
        sus = acc[c["suspect"]]
        pen = min(P["penalty_fee"], max(0, sus["deposit"]))
        to_rep = pen * P["reporter_share_permille"] // 1000
        sus["deposit"] -= pen
        acc[c["reporter"]]["balance"] += to_rep
        acc[c["harmed"]]["balance"] += pen - to_rep
        p = grants[c["grant"]]["period"]
        if p not in sus["violated"]:
            sus["violated"].append(p)
        sus["trust"] = behaviour(sus, period)
        c.update(open=False, verdict="guilty", penalty=pen)
    elif final or (total - innocent) * 2 <= total:
        rep = acc[c["reporter"]]
        rep["trust"] = max(0, rep["trust"] - P["false_report_trust_penalty_milli"] / 1000)
        c.update(open=False, verdict="not_guilty")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
