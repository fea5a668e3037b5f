"""Where the runner is, in the words the plan speaks: one sentence for the running of the last
weeks, one for the place in the block (cycle length, training weeks since the last step-back,
why next week steps back), and the words for a break from running. Plain words for the
runner: no rule ids, no internal names."""

from __future__ import annotations

import datetime as dt

from stridepod.recovery.config import Config


def day_words(d: dt.date) -> str:
    return f"{d.day} {d:%B %Y}"


def break_words(last_run: dt.date | None, cfg: Config) -> str:
    """'no run in the last 21 days (last: 2 September 2023)', or 'no runs recorded yet'."""
    if last_run is None:
        return "no runs recorded yet"
    return f"no run in the last {cfg.layoff_days} days (last: {day_words(last_run)})"


def running_sentence(week_minutes: list[float], runs_per_week: int, seen_weeks: int,
                     cadence_spm: float | None, last_run: dt.date | None, today: dt.date,
                     cfg: Config) -> str:
    """The running of the last weeks; on a break, the break instead of a rhythm that is not
    there."""
    if last_run is None or (today - last_run).days >= cfg.layoff_days:
        words = break_words(last_run, cfg)
        return words[0].upper() + words[1:] + "."
    rhythm = (f"about {runs_per_week} runs a week" if seen_weeks == 4 else
              f"about {runs_per_week} runs a week in the {seen_weeks} of the last 4 weeks that had running")
    cadence = f", cadence {cadence_spm:.0f} steps/min" if cadence_spm else ""
    return (f"{week_minutes[0]:.0f} min of running in the last 7 days ({week_minutes[1]:.0f} the "
            f"week before), {rhythm}{cadence}.")


def block_sentence(weeks_in_block: int, block_began: str, returning_week: int | None,
                   next_week_is_deload: bool, cfg: Config) -> str:
    """Where next week sits in the block of `deload_every_weeks` weeks (that many minus one
    training weeks, then a step-back week). `block_began` says what the count of training
    weeks stopped at: "step-back" (a step-back week), "no running" (a week without running),
    "first run" (the weeks before the first recorded run) or "history" (the 12 weeks looked
    at)."""
    cycle = cfg.deload_every_weeks
    training = cycle - 1
    if returning_week is not None:
        return (f"Next week is week {returning_week} of the return to running: the {cycle}-week blocks "
                "start again once your volume has rebuilt.")
    since = {"step-back": "since your last step-back week", "no running": "since a week without running",
             "first run": "since your first recorded run",
             "history": "in the 12 weeks looked at, without a step-back week"}[block_began]
    weeks = f"{weeks_in_block} training week{'s' * (weeks_in_block != 1)} {since}"
    if weeks_in_block == 0:
        return (f"Last week was {'a step-back week' if block_began == 'step-back' else 'without running'}: "
                f"next week starts a new {cycle}-week block ({training} training weeks, then a step-back week).")
    if next_week_is_deload:
        late = weeks_in_block - training
        return (f"Next week steps back: {weeks}, "
                + (f"the {training} a {cycle}-week block has." if late <= 0 else
                   f"{late} more than the {training} a {cycle}-week block has."))
    return (f"Next week is training week {weeks_in_block + 1} of a {cycle}-week block: {weeks}; "
            f"the step-back week comes after week {training}.")
