"""A random but well-formed contract scenario (dev-signed), from a seed: MNOs, users and
sensors register; rounds of offers and demands close; sensors report; validators vote. Used
with contract_oracle.py to check `trustband contract run` on scenarios it has never seen."""
import json, random, sys

rng = random.Random(int(sys.argv[1]))
T0 = 1_795_500_000 * 10**9
params = dict(omega_milli=rng.randint(0, 1000), sigmoid_scale_milli=rng.randint(1000, 60000), trust_window_periods=rng.randint(1, 4),
              penalty_fee=rng.randint(10, 400), reporter_share_permille=rng.randint(0, 1000), arbitration_blocks=rng.randint(2, 6),
              trust_threshold_milli=rng.randint(100_000, 400_000), kappa_milli_per_mhz_s=rng.randint(0, 3),
              false_report_trust_penalty_milli=rng.randint(0, 50_000))
validators = [dict(id=f"v{n}", role="validator", deposit=rng.randint(50, 900)) for n in range(1, 5)]
mnos = ["mno-a", "mno-b"]
users = [(f"u{n}", rng.choice(["pu", "pbs"])) for n in range(1, 7)]
sensors = ["s1", "s2"]
alloc = [dict(account=m, amount=50_000) for m in mnos] + [dict(account=u, amount=rng.randint(500, 5000)) for u, _ in users] \
    + [dict(account=s, amount=100) for s in sensors]
blocks, time = [], T0
def block(txs):
    global time
    time += 10 * 10**9
    blocks.append(dict(time_ns=time, txs=txs))

block([dict(type="register", signer=m, role="mno", deposit=20_000) for m in mnos]
      + [dict(type="register", signer=u, role=r, deposit=rng.randint(0, 400)) for u, r in users]
      + [dict(type="register", signer=s, role="sensor", deposit=rng.randint(0, 100)) for s in sensors])
offer_n = demand_n = evidence_n = 0
granted_guess = []
for rnd in range(rng.randint(2, 4)):
    txs = []
    for _ in range(rng.randint(1, 3)):
        offer_n += 1
        low = 3_400_000_000 + rng.randint(0, 30) * 10_000_000
        txs.append(dict(type="offer", signer=rng.choice(mnos), id=f"o{offer_n}", freq_low_hz=low, freq_high_hz=low + rng.randint(5, 40) * 1_000_000,
                        area=rng.choice(["cell-1", "cell-2"]), start_ns=time - 60 * 10**9, end_ns=time + rng.randint(2, 8) * 3600 * 10**9,
                        unit_price_milli=rng.randint(0, 30), deposit=rng.randint(500, 3000), max_psd_dbm_per_mhz=-30, oob_max_psd_dbm_per_mhz=-55,
                        max_occupancy_s=600))
    for _ in range(rng.randint(2, 7)):
        demand_n += 1
        u = rng.choice(users)[0]
        txs.append(dict(type="demand", signer=u, id=f"d{demand_n}", bandwidth_hz=rng.randint(1, 20) * 1_000_000, duration_s=rng.randint(60, 7200),
                        area=rng.choice(["cell-1", "cell-2"]), deposit=rng.randint(0, 600)))
        granted_guess += [f"d{demand_n}@o{o}" for o in range(1, offer_n + 1)]
    rng.shuffle(txs)
    block(txs)
    block([dict(type="close_round", signer=rng.choice(mnos + ["v1"]))])
    reports = []
    for _ in range(rng.randint(1, 4)):
        evidence_n += 1
        kind = rng.choice(["power", "frequency", "time", "degradation"])
        start = time + evidence_n * 3600 * 10**9 // 100
        reports.append(dict(type="evidence", signer=rng.choice(sensors), record=dict(grant_id=rng.choice(granted_guess), kind=kind, rule=kind,
                            start_ns=start, end_ns=start + 5 * 10**9, measured=-20)))
    block(reports)
    for _ in range(rng.randint(1, 3)):
        block([dict(type="vote", signer=rng.choice([v["id"] for v in validators]), case_index=rng.randint(0, evidence_n), guilty=rng.random() < 0.6)
               for _ in range(rng.randint(1, 5))])
    if rng.random() < 0.5:
        block([dict(type=rng.choice(["top_up", "withdraw"]), signer=rng.choice([u for u, _ in users]), amount=rng.randint(1, 300))])
for _ in range(8):
    block([])
print(json.dumps(dict(genesis=dict(time_ns=T0, params=params, accounts=validators, allocations=alloc), blocks=blocks), indent=1))
