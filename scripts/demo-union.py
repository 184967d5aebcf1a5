#!/usr/bin/env python3
"""A year of a small union, uploaded to a running `stationhub` the way boxes upload: three
districts of a city federation, bookshelves, love mother huts and outdoor workers'
stations, each with its box, enrolled through the API and sending its batches in order.
Books are borrowed and returned (some at another shelf: drift; some not yet: overdue);
mothers and outdoor workers visit at the hours they do. A few boxes misbehave: one never
enrolled, one revoked after it was stolen, one quiet for three days, device-log errors.
Then one console account per role. Workers are box-local hashes of made-up names; no
identity number is involved.

Deterministic for a seed, relative to today (the last twelve months).

usage: demo-union.py BIN_DIR DATABASE HUB_URL PASSWORD_FILE"""
import datetime
import hashlib
import json
import os
import random
import sqlite3
import subprocess
import sys
import urllib.request

ZONE = datetime.timezone(datetime.timedelta(hours=8))  # the hub's default zone, Asia/Shanghai
DAY = 86_400_000

REGIONS = {
    "柯城区": [
        ("kc-shelf-1", "柯城区总工会职工书屋", "bookshelf"), ("kc-shelf-2", "荷花街道职工书屋", "bookshelf"),
        ("kc-hut-1", "柯城区爱心妈妈小屋", "hut"), ("kc-station-1", "府山环卫工人驿站", "station"),
    ],
    "衢江区": [
        ("qj-shelf-1", "衢江区职工书屋", "bookshelf"), ("qj-shelf-2", "高家镇企业职工书屋", "bookshelf"),
        ("qj-hut-1", "衢江区爱心妈妈小屋", "hut"), ("qj-station-1", "樟潭户外劳动者驿站", "station"),
    ],
    "江山市": [
        ("js-shelf-1", "江山市总工会职工书屋", "bookshelf"), ("js-shelf-2", "贺村镇职工书屋", "bookshelf"),
        ("js-station-1", "江山快递小哥驿站", "station"),
    ],
}
TITLES = [
    "平凡的世界", "活着", "三体", "红岩", "钢铁是怎样炼成的", "人世间", "白鹿原", "围城", "家", "骆驼祥子",
    "朝花夕拾", "边城", "茶馆", "长征", "乡土中国", "毛泽东选集", "习近平的七年知青岁月", "大国工匠", "劳动法实用手册", "职工维权100问",
    "家庭急救常识", "孕产期营养指南", "育儿百科", "颈椎病防治", "电工基础", "汽车维修入门", "烹饪技法", "家常菜谱", "中国历史常识", "唐诗三百首",
    "宋词三百首", "西游记", "水浒传", "红楼梦", "三国演义", "呐喊", "青春之歌", "林海雪原", "保卫延安", "创业史",
]
NEVER_ENROLLED = "js-shelf-2"
STOLEN = "qj-station-1"
QUIET = "kc-station-1"


def worker(name):
    return {"kind": "member-card", "localHash": "v1:" + hashlib.sha256(name.encode()).hexdigest(), "masked": "****"}


def at(day, hour, minute):
    return int(datetime.datetime.combine(day, datetime.time(hour, minute), ZONE).timestamp() * 1000)


def run(bin_dir, database, *args):
    return subprocess.run([f"{bin_dir}/stationhub", *args, "--database", database], check=True, capture_output=True, text=True).stdout


def post(url, path, body, credential=None):
    request = urllib.request.Request(url + path, data=json.dumps(body, ensure_ascii=False).encode(), method="POST",
                                     headers={"Content-Type": "application/json", **({"Authorization": f"Bearer {credential}"} if credential else {})})
    with urllib.request.urlopen(request, timeout=60) as r:
        return json.loads(r.read())


def history(rng, today):
    """Events per site, in time order: (wall_ms, draft)."""
    start = today - datetime.timedelta(days=365)
    shelves = [s for sites in REGIONS.values() for s in sites if s[2] == "bookshelf" and s[0] != NEVER_ENROLLED]
    region_of = {s[0]: r for r, sites in REGIONS.items() for s in sites}
    items = {f"label:LIB-{100000 + i}": (TITLES[i % len(TITLES)], shelves[i % len(shelves)][0]) for i in range(120)}
    weights = {k: 1 + (30 if int(k[-3:]) % len(TITLES) < 5 else 0) + rng.random() * 4 for k in items}
    free_at = {k: 0 for k in items}
    where = {k: home for k, (_, home) in items.items()}
    events = {s[0]: [] for sites in REGIONS.values() for s in sites}
    day = start
    while day <= today:
        season = 1.0 + 0.5 * ((day.month in (1, 2, 7, 8)))
        for site, _, _ in shelves:
            for _ in range(rng.randint(0, int(3 * season))):
                here = [k for k in items if where[k] == site and free_at[k] <= at(day, 23, 59)]
                if not here:
                    continue
                item = rng.choices(here, weights=[weights[k] for k in here])[0]
                t = at(day, rng.choice([8, 9, 12, 12, 17, 18]), rng.randint(0, 59))
                if t <= free_at[item]:
                    continue
                who = worker(f"{region_of[site]}-reader-{rng.randint(1, 80)}")
                due = (day + datetime.timedelta(days=30)).isoformat()
                events[site].append((t, {"kind": "checkout", "item": {"key": item}, "worker": who, "dueDate": due, "flags": []}))
                back = day + datetime.timedelta(days=rng.randint(5, 40))
                if back >= today:
                    free_at[item] = 1 << 60  # still out (overdue when past its due date)
                    continue
                # Most come back where they were borrowed; some drift to another shelf of the region, or further.
                r = rng.random()
                same_region = [s[0] for s in shelves if region_of[s[0]] == region_of[site] and s[0] != site]
                there = site if r < 0.8 or not same_region else rng.choice(same_region) if r < 0.95 else rng.choice(shelves)[0]
                rt = at(back, rng.choice([8, 12, 17, 18]), rng.randint(0, 59))
                events[there].append((rt, {"kind": "return", "item": {"key": item}, "flags": []}))
                free_at[item] = rt + 60_000
                where[item] = there
        for region, sites in REGIONS.items():
            for site, _, kind in sites:
                if kind == "bookshelf" or day.weekday() >= 5 and kind == "hut":
                    continue
                visits = rng.randint(2, 6) if kind == "hut" else rng.randint(3, 9)
                for _ in range(visits):
                    if kind == "hut":
                        hour, minutes = rng.choice([9, 10, 10, 11, 14, 15, 15, 16]), rng.randint(15, 40)
                        service = "lactation" if rng.random() < 0.8 else "childcare"
                        who = worker(f"{region}-mother-{rng.randint(1, 25)}")
                    else:
                        hour, minutes = rng.choice([5, 6, 6, 7, 11, 11, 12, 12, 13, 17]), rng.randint(10, 45)
                        service = rng.choice(["rest", "rest", "water", "charging"])
                        who = worker(f"{region}-outdoor-{rng.randint(1, 60)}")
                    t = at(day, hour, rng.randint(0, 59))
                    events[site].append((t, {"kind": "visit-start", "worker": who, "service": service, "flags": []}))
                    events[site].append((t + minutes * 60_000, {"kind": "visit-end", "worker": who, "service": service, "flags": []}))
        day += datetime.timedelta(days=1)
    stocktake(events, items, where, free_at, at(today - datetime.timedelta(days=1), 19, 0))
    for site in events:
        events[site].sort(key=lambda e: e[0])
    return items, events


def stocktake(events, items, where, free_at, t):
    """Yesterday evening kc-shelf-1's manager swept its shelf: every copy there but one
    (missing, when two or more are there), one the records have on loan (an implied
    return), one at home elsewhere (misplaced) and one label the catalog does not know."""
    site = "kc-shelf-1"
    here = sorted(k for k in items if where[k] == site and free_at[k] <= t)
    lent = sorted(k for k in items if where[k] == site and free_at[k] > t)[:1]
    stray = sorted(k for k in items if where[k] != site and items[k][1] != site and free_at[k] <= t)[:1]
    seen = here[1 if len(here) > 1 else 0:] + lent + stray + ["label:LIB-199999"]
    events[site].append((t, {"kind": "stocktake-start", "flags": []}))
    for n, key in enumerate(seen):
        events[site].append((t + (n + 1) * 4000, {"kind": "seen", "item": {"key": key}, "flags": []}))
    events[site].append((t + (len(seen) + 1) * 4000, {"kind": "stocktake-end", "flags": []}))


def main():
    bin_dir, database, url, password_file = sys.argv[1:5]
    rng = random.Random(7)
    today = datetime.datetime.now(ZONE).date()
    items, events = history(rng, today)
    for region, sites in REGIONS.items():
        for site, name, kind in sites:
            run(bin_dir, database, "site", "add", site, "--region", region, "--name", name, "--kind", kind)
    catalog = os.path.join(os.path.dirname(database), "union-catalog.csv")
    with open(catalog, "w") as f:
        f.write("item_key,title,home_site\n" + "".join(f"{k},{t},{home}\n" for k, (t, home) in items.items()))
        # Copies given this year that nobody has borrowed yet: sleeping books, whose titles
        # other shelves lend.
        homes = sorted({home for _, home in items.values()})
        f.write("".join(f"label:LIB-{100200 + i},{TITLES[i % len(TITLES)]},{homes[(i * 3) % len(homes)]}\n" for i in range(8)))
    run(bin_dir, database, "catalog", "import", catalog)
    uploaded = 0
    for region, sites in REGIONS.items():
        for site, _, _ in sites:
            box = f"{site}-box"
            token = run(bin_dir, database, "box", "add", box, "--site", site).strip()
            if site == NEVER_ENROLLED:
                continue
            credential = post(url, "/v1/enroll", {"token": token})["credential"]
            mine = events[site]
            for start in range(0, len(mine), 500):
                batch = [{"boxID": box, "seq": start + i + 1, "siteID": site, "epoch": 0,
                          "time": {"wallMillis": t, "synchronized": True, "bootID": "boot-1", "monotonicMicros": (start + i + 1) * 1000},
                          "draft": draft} for i, (t, draft) in enumerate(mine[start:start + 500])]
                answer = post(url, "/v1/batches", {"box_id": box, "events": batch, "backlog": max(0, len(mine) - start - 500)}, credential)
                assert answer["acked_through"] == start + len(batch), answer
                uploaded += len(batch)
            now = int(datetime.datetime.now(ZONE).timestamp() * 1000)
            lines = [{"id": 1, "at_ms": now - 5 * DAY, "level": "warning", "scanner_id": "newland-hr200", "message": "扫描枪断开后重新连接 scanner reattached"}]
            if site in ("kc-hut-1", QUIET):
                lines.append({"id": 2, "at_ms": now - 3_600_000, "level": "error", "scanner_id": "newland-hr200", "message": "扫描枪无响应 scanner stopped answering"})
            post(url, "/v1/device-log", {"lines": lines}, credential)
    run(bin_dir, database, "box", "revoke", f"{STOLEN}-box", "--reason", "设备被盗，已报警 stolen, reported to the police")
    # A box that went quiet three days ago: the hub last heard from it then.
    three_days_ago = int(datetime.datetime.now(ZONE).timestamp() * 1000) - 3 * DAY
    db = sqlite3.connect(database)
    db.execute("UPDATE box SET last_seen_ms = ?, last_batch_ms = ? WHERE id = ?", (three_days_ago, three_days_ago, f"{QUIET}-box"))
    db.commit()
    db.close()
    # A rotation: four of 荷花街道's copies between 柯城区's two bookshelves, a month at
    # each, round and round.
    travelling = sorted(k for k, (_, home) in items.items() if home == "kc-shelf-2")[:4]
    run(bin_dir, database, "rotation", "add", "kecheng-loop", "--sites", "kc-shelf-2,kc-shelf-1", "--days", "30", "--cyclic",
        *[arg for k in travelling for arg in ("--item", k)])
    accounts = [("union-ops", "union"), ("kecheng-ops", "region:柯城区"), ("kc-shelf-1-manager", "site:kc-shelf-1")]
    lines = []
    for name, role in accounts:
        password = "demo-" + "".join(rng.choice("abcdefghjkmnpqrstuvwxyz23456789") for _ in range(12))
        subprocess.run([f"{bin_dir}/stationhub", "operator", "add", name, "--role", role, "--password-file", "-", "--database", database],
                       input=password, text=True, check=True, capture_output=True)
        lines.append(f"{name}\t{role}\t{password}\n")
    fd = os.open(password_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write("".join(lines))
    sites = sum(len(s) for s in REGIONS.values())
    print(f"demo union: {sites} sites in {len(REGIONS)} districts, {uploaded} events uploaded by {sites - 1} boxes, {len(items)} books; "
          f"console accounts in {password_file}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
