"""Generating seeded recording rows (M4 benchmarks), vectorised with numpy, in time order.

Rows come in chunks of consecutive days, each sorted by start time, so the table is laid out
as ingest would lay it out (append-mostly, by time). An *activity* (one inspection, one
case step) is 1–12 segments by one officer, back to back, sharing party, place and case
number. Days follow the calendar (weekdays busy, weekends quiet, slow growth over the years);
hours follow office hours; officers, firms, markets and roads follow Zipf-like weights.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import numpy as np

from avrecords.demo import seed_words as w
from avrecords.recordings.textsearch import tidy

DAYS = 3 * 365
CHUNK_ROWS = 200_000
# Relative number of recordings per local hour of the day (office hours, a lunch dip).
HOUR_WEIGHTS = [
    *(0.2, 0.1, 0.1, 0.1, 0.1, 0.3, 0.8, 1.5, 4.0, 7.0, 8.0, 7.0),
    *(3.0, 3.0, 6.0, 7.5, 7.0, 5.5, 3.0, 2.0, 1.5, 1.0, 0.6, 0.3),
]
WEEKDAY_WEIGHTS = [1.0, 1.0, 1.0, 1.0, 0.95, 0.35, 0.25]
KINDS = ["video", "photo", "audio"]
KIND_WEIGHTS = [0.80, 0.12, 0.08]
COMPANIES, SHOPS, PERSONS, ADDRESSES = 40_000, 20_000, 100_000, 60_000


@dataclass(frozen=True)
class OfficerRow:
    """What a generated row needs to know about its officer."""

    pk: int
    unit_pk: int
    officer_no: str
    device_pk: int
    serial: str
    case_prefix: str
    district: int  # index into seed_words.DISTRICTS; -1 for city-wide units


def zipf_weights(n: int, s: float = 1.0) -> np.ndarray:
    weights = 1.0 / np.arange(1, n + 1) ** s
    return weights / weights.sum()


class Vocabulary:
    """Pools of parties and places, drawn once per run; each firm keeps one address."""

    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng
        self.address_district = self._draw(len(w.DISTRICTS), ADDRESSES, 0.5)
        self.addresses = self._addresses()
        self.companies = self._companies()
        self.shops = self._shops()
        self.persons = self.person_names(PERSONS)
        # Markets and big firms are visited again and again; most firms once in a while.
        self.company_places = self._draw(ADDRESSES, COMPANIES, 0.6)
        self.shop_places = self._draw(ADDRESSES, SHOPS, 0.6)
        self.p_address = zipf_weights(ADDRESSES, 0.8)
        self.pools = {
            "company": self._by_district(self.company_places, 0.8),
            "shop": self._by_district(self.shop_places, 0.7),
            "address": self._by_district(np.arange(ADDRESSES), 0.7),
        }
        self.p_person = zipf_weights(PERSONS, 0.3)

    def _draw(self, options: int, size: int, s: float = 1.0) -> np.ndarray:
        return self.rng.choice(options, size, p=zipf_weights(options, s))

    def _by_district(self, places: np.ndarray, s: float) -> list[tuple[np.ndarray, np.ndarray]]:
        """Per district (and last, city-wide): member indices, popular first, and weights."""
        pools = []
        districts = self.address_district[places]
        for d in [*range(len(w.DISTRICTS)), None]:
            members = np.arange(len(places)) if d is None else np.flatnonzero(districts == d)
            pools.append((members, zipf_weights(len(members), s)))
        return pools

    def pick(self, pool: str, district: np.ndarray) -> np.ndarray:
        """One member per activity: from the officer's district, or city-wide for -1."""
        out = np.empty(len(district), dtype=np.int64)
        for d, (members, p) in enumerate(self.pools[pool]):
            mask = district == (d if d < len(w.DISTRICTS) else -1)
            out[mask] = members[self.rng.choice(len(members), int(mask.sum()), p=p)]
        return out

    def person_names(self, n: int) -> list[str]:
        surnames = self._draw(len(w.SURNAMES), n, 0.9).tolist()
        given = self.rng.integers(0, len(w.GIVEN_CHARS), (n, 2)).tolist()
        single = (self.rng.random(n) < 0.3).tolist()
        g = w.GIVEN_CHARS
        return [
            w.SURNAMES[s] + g[a] + ("" if one else g[b])
            for s, (a, b), one in zip(surnames, given, single, strict=True)
        ]

    def _trade_names(self, n: int) -> list[str]:
        pairs = self.rng.integers(0, len(w.TRADE_CHARS), (n, 2)).tolist()
        return [w.TRADE_CHARS[a] + w.TRADE_CHARS[b] for a, b in pairs]

    def _companies(self) -> list[str]:
        trade = self._trade_names(COMPANIES)
        industry = self._draw(len(w.INDUSTRIES), COMPANIES, 0.7).tolist()
        local = (self.rng.random(COMPANIES) < 0.9).tolist()
        return [
            f"{w.CITY}{t}{w.INDUSTRIES[i]}有限公司"
            if here
            else f"{t}{w.INDUSTRIES[i]}（{w.CITY[:2]}）有限公司"
            for t, i, here in zip(trade, industry, local, strict=True)
        ]

    def _shops(self) -> list[str]:
        trade = self._trade_names(SHOPS)
        kind = self._draw(len(w.SHOP_KINDS), SHOPS, 0.8).tolist()
        district = self._draw(len(w.DISTRICTS), SHOPS, 0.5).tolist()
        names = list(w.DISTRICTS)
        return [
            f"{w.CITY}{names[d]}{t}{w.SHOP_KINDS[k]}"
            for t, k, d in zip(trade, kind, district, strict=True)
        ]

    def _addresses(self) -> list[str]:
        n = ADDRESSES
        names = list(w.DISTRICTS)
        heads = [w.ROAD_HEADS[i : i + 2] for i in range(0, len(w.ROAD_HEADS), 2)]
        street = self._draw(8, n, 0.7).tolist()
        road = self._draw(len(heads), n, 1.0).tolist()
        tail = self._draw(len(w.ROAD_TAILS), n, 0.8).tolist()
        number = (self.rng.zipf(1.6, n) % 999 + 1).tolist()
        extra = self.rng.random(n).tolist()
        landmark = self._draw(len(w.LANDMARKS), n, 0.6).tolist()
        building = self.rng.integers(0, len(w.BUILDING_WORDS), n).tolist()
        block = self.rng.integers(1, 30, n).tolist()
        trade = self._trade_names(n)
        city = (self.rng.random(n) < 0.5).tolist()
        out = []
        for i, d in enumerate(self.address_district.tolist()):
            district = names[d]
            place = (
                f"{district}{w.DISTRICTS[district][1][street[i]]}街道"
                f"{heads[road[i]]}{w.ROAD_TAILS[tail[i]]}{number[i]}号"
            )
            if extra[i] < 0.15:
                place += trade[i] + w.LANDMARKS[landmark[i]]
            elif extra[i] < 0.35:
                place += f"{trade[i]}{w.BUILDING_WORDS[building[i]]}{block[i]}栋"
            out.append(w.CITY + place if city[i] else place)
        return out


@dataclass
class Plan:
    """Rows per local day over the window, and the officers with their activity weights."""

    first_day: dt.date
    rows_per_day: np.ndarray
    officers: list[OfficerRow]
    officer_p: np.ndarray


def make_plan(rng: np.random.Generator, count: int, officers: list[OfficerRow], today: dt.date):
    first = today - dt.timedelta(days=DAYS)
    days = [first + dt.timedelta(days=i) for i in range(DAYS)]
    growth = np.linspace(0.8, 1.2, DAYS)
    weights = np.array([WEEKDAY_WEIGHTS[d.weekday()] for d in days]) * growth
    rows_per_day = rng.multinomial(count, weights / weights.sum())
    activity = rng.lognormal(0.0, 0.6, len(officers))
    return Plan(first, rows_per_day, officers, activity / activity.sum())


class RowGenerator:
    """Yields chunks of rows (column name → list of values) in start-time order."""

    def __init__(
        self,
        rng,
        plan: Plan,
        vocab: Vocabulary,
        *,
        seed: int,
        first_ordinal: int,
        batch_pk: int,
        time_zone: str,
        now: dt.datetime,
    ) -> None:
        self.rng, self.plan, self.vocab = rng, plan, vocab
        self.seed, self.ordinal, self.batch_pk = seed, first_ordinal, batch_pk
        self.zone = ZoneInfo(time_zone)
        self.now = now
        self.case_seq: dict[tuple[str, int], int] = {}
        self.officer_arrays = {
            name: np.array([getattr(o, name) for o in plan.officers], dtype=object)
            for name in (
                "pk",
                "unit_pk",
                "officer_no",
                "device_pk",
                "serial",
                "case_prefix",
                "district",
            )
        }

    def chunks(self) -> Iterator[dict[str, list]]:
        day, total = 0, len(self.plan.rows_per_day)
        while day < total:
            end, rows = day, 0
            while end < total and rows < CHUNK_ROWS:
                rows += int(self.plan.rows_per_day[end])
                end += 1
            if rows:
                yield self._chunk(day, end, rows)
            day = end

    # --- one chunk of consecutive days ------------------------------------------------
    def _chunk(self, first: int, end: int, rows: int) -> dict[str, list]:
        rng, plan = self.rng, self.plan
        segs = np.minimum(1 + rng.geometric(0.4, rows), 12)
        cut = int(np.searchsorted(np.cumsum(segs), rows)) + 1
        segs = segs[:cut]
        segs[-1] -= int(segs.sum()) - rows
        acts = len(segs)
        day_p = plan.rows_per_day[first:end] / rows
        act_day = first + rng.choice(end - first, acts, p=day_p)
        midnight = np.array([self._utc_midnight(d) for d in range(first, end)])
        hours = rng.choice(24, acts, p=np.array(HOUR_WEIGHTS) / sum(HOUR_WEIGHTS))
        act_start = midnight[act_day - first] + hours * 3600 + rng.integers(0, 3600, acts)
        officer = rng.choice(len(plan.officers), acts, p=plan.officer_p)
        unassigned = rng.random(acts) < 0.003
        party, place = self._parties(acts, self.officer_arrays["district"][officer].astype(int))
        case = self._case_numbers(acts, act_start, officer, party)

        act = np.repeat(np.arange(acts), segs)
        seg_no = np.arange(rows) - np.repeat(np.cumsum(segs) - segs, segs) + 1
        kind = rng.choice(3, rows, p=KIND_WEIGHTS)
        duration = np.where(
            kind == 0,
            np.clip(rng.lognormal(np.log(240), 0.8, rows), 3, 900),
            np.where(kind == 2, np.clip(rng.lognormal(np.log(300), 0.9, rows), 5, 3600), 0.0),
        ).round(1)
        step = duration + rng.integers(5, 120, rows)
        offset = np.cumsum(step) - step
        offset -= np.repeat(offset[np.cumsum(segs) - segs], segs)
        start = act_start[act] + offset.astype(np.int64)
        order = np.argsort(start, kind="stable")
        act, seg_no, kind, duration, start = (
            a[order] for a in (act, seg_no, kind, duration, start)
        )
        return self._columns(
            rows, act, seg_no, kind, duration, start, officer, unassigned, party, place, case
        )

    def _utc_midnight(self, day: int) -> int:
        local = dt.datetime.combine(self.plan.first_day + dt.timedelta(days=day), dt.time(12))
        offset = self.zone.utcoffset(local) or dt.timedelta(0)
        midnight = dt.datetime.combine(local.date(), dt.time(0), tzinfo=dt.UTC) - offset
        return int(midnight.timestamp())

    def _parties(self, acts: int, district: np.ndarray) -> tuple[list[str], list[str]]:
        """Firms, shops and people of the officer's district (city-wide units: anywhere)."""
        rng, v = self.rng, self.vocab
        which = rng.choice(4, acts, p=[0.55, 0.20, 0.10, 0.15]).tolist()  # firm/shop/person/none
        local = np.where(rng.random(acts) < 0.85, district, -1)
        company = v.pick("company", local).tolist()
        shop = v.pick("shop", local).tolist()
        address = v.pick("address", local).tolist()
        person = rng.choice(PERSONS, acts, p=v.p_person).tolist()
        no_place = (rng.random(acts) < 0.3).tolist()
        party, place = [], []
        for i, kind in enumerate(which):
            if kind == 0:
                party.append(v.companies[company[i]])
                place.append(v.addresses[v.company_places[company[i]]])
            elif kind == 1:
                party.append(v.shops[shop[i]])
                place.append(v.addresses[v.shop_places[shop[i]]])
            else:
                party.append(v.persons[person[i]] if kind == 2 else "")
                place.append("" if kind == 3 and no_place[i] else v.addresses[address[i]])
        return [tidy(p) for p in party], [tidy(p) for p in place]

    def _case_numbers(self, acts, act_start, officer, party) -> list[str]:
        """桐市监罚〔2026〕123号: numbered per issuing prefix and year, in time order."""
        has_case = (self.rng.random(acts) < 0.35) & np.array([bool(p) for p in party])
        kinds = self.rng.choice(len(w.CASE_KINDS), acts)
        prefixes = self.officer_arrays["case_prefix"][officer]
        case = [""] * acts
        for i in np.flatnonzero(has_case)[np.argsort(act_start[has_case], kind="stable")]:
            year = dt.datetime.fromtimestamp(int(act_start[i]), self.zone).year
            key = (prefixes[i] + w.CASE_KINDS[kinds[i]], year)
            self.case_seq[key] = seq = self.case_seq.get(key, 0) + 1
            case[i] = f"{key[0]}〔{year}〕{seq}号"
        return case

    def _columns(
        self, rows, act, seg_no, kind, duration, start, officer, unassigned, party, place, case
    ) -> dict[str, list]:
        rng, oa = self.rng, self.officer_arrays
        row_officer = officer[act]
        lost = unassigned[act]
        serial = oa["serial"][row_officer]
        lost_serials = np.array([f"TX{n:05d}" for n in rng.integers(0, 99999, rows)], dtype=object)
        serial = np.where(lost, lost_serials, serial)
        hevc = (kind == 0) & (rng.random(rows) < 0.1)
        amr = (kind == 2) & (rng.random(rows) < 0.3)
        needs_proxy = hevc | amr
        recent = start > self.now.timestamp() - 86400
        status = np.where(
            needs_proxy & recent & (rng.random(rows) < 0.5),
            "processing",
            np.where(rng.random(rows) < 0.002, "failed", "ready"),
        )
        size = np.where(
            kind == 0,
            duration * rng.integers(600_000, 1_100_000, rows),
            np.where(kind == 2, duration * 16_000, rng.integers(2_000_000, 6_000_000, rows)),
        ).astype(np.int64)
        started = start.astype("datetime64[s]")
        ended = (start + np.ceil(duration).astype(np.int64)).astype("datetime64[s]")
        ingest_delay = np.minimum(rng.lognormal(np.log(6 * 3600), 1.0, rows), 20 * 86400)
        ingested = np.minimum(
            start + duration.astype(np.int64) + ingest_delay.astype(np.int64),
            int(self.now.timestamp()),
        ).astype("datetime64[s]")
        local = np.datetime_as_string(started + self._offsets(start))
        ext = np.array(["mp4", "jpg", "wav"], dtype=object)[kind]
        ext = np.where(amr, "amr", ext)
        first = self.ordinal
        self.ordinal += rows
        sha = [
            hashlib.sha256(f"avrecords-seed:{self.seed}:{n}".encode()).hexdigest()
            for n in range(first, first + rows)
        ]
        officer_no = oa["officer_no"][row_officer].tolist()
        names = [
            f"{s}_{o}_{t[0:4]}{t[5:7]}{t[8:10]}{t[11:13]}{t[14:16]}{t[17:19]}_{n:04d}.{e.upper()}"
            for s, o, t, n, e in zip(
                serial.tolist(),
                officer_no,
                local.tolist(),
                seg_no.tolist(),
                ext.tolist(),
                strict=True,
            )
        ]
        video = kind == 0
        return {
            "sha256": sha,
            "size_bytes": size.tolist(),
            "storage_key": [f"originals/{h[:2]}/{h[2:4]}/{h}" for h in sha],
            "media_kind": np.array(KINDS, dtype=object)[kind].tolist(),
            "status": status.tolist(),
            "original_name": names,
            "extension": ext.tolist(),
            "device_id": np.where(lost, None, oa["device_pk"][row_officer]).tolist(),
            "officer_id": np.where(lost, None, oa["pk"][row_officer]).tolist(),
            "unit_id": oa["unit_pk"][row_officer].tolist(),
            "device_serial": serial.tolist(),
            "officer_no": officer_no,
            "segment_no": [f"{n:04d}" for n in seg_no.tolist()],
            "needs_assignment": lost.tolist(),
            "assignment_note": [
                f"未登记的设备 {s}" if x else ""
                for s, x in zip(serial.tolist(), lost.tolist(), strict=True)
            ],
            "started_at": _db_times(started),
            "ended_at": _db_times(ended),
            "time_source": ["filename"] * rows,
            "duration_seconds": duration.tolist(),
            "container": np.where(video, "mov", np.where(kind == 1, "image2", ext)).tolist(),
            "video_codec": np.where(
                video, np.where(hevc, "hevc", "h264"), np.where(kind == 1, "mjpeg", "")
            ).tolist(),
            "audio_codec": np.where(
                kind == 1, "", np.where(amr, "amr_nb", np.where(video, "aac", "pcm_s16le"))
            ).tolist(),
            "width": np.where(video, 1920, np.where(kind == 1, 4000, None)).tolist(),
            "height": np.where(video, 1080, np.where(kind == 1, 3000, None)).tolist(),
            "frame_rate": np.where(video, 25.0, None).tolist(),
            "audio_channels": np.where(kind == 1, None, 1).tolist(),
            "sample_rate": np.where(kind == 1, None, np.where(amr, 8000, 44100)).tolist(),
            "needs_proxy": needs_proxy.tolist(),
            "case_number": [case[a] for a in act.tolist()],
            "party": [party[a] for a in act.tolist()],
            "place": [place[a] for a in act.tolist()],
            "batch_id": [self.batch_pk] * rows,
            "ingested_at": _db_times(ingested),
        }

    def _offsets(self, start: np.ndarray) -> np.ndarray:
        """Seconds east of UTC at each start (per hour, so DST zones come out right)."""
        hours = start // 3600
        unique, inverse = np.unique(hours, return_inverse=True)
        offsets = np.array(
            [
                dt.datetime.fromtimestamp(h * 3600, self.zone).utcoffset()
                // dt.timedelta(seconds=1)
                for h in unique.tolist()
            ]
        )
        return offsets[inverse].astype("timedelta64[s]")


def _db_times(values: np.ndarray) -> list[str]:
    """UTC as Django stores it on SQLite ('YYYY-MM-DD HH:MM:SS'); PostgreSQL reads it as UTC."""
    return np.char.replace(np.datetime_as_string(values), "T", " ").tolist()
