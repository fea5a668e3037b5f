"""Short evidence notes shown with the rules they qualify (sources in docs/recovery.md)."""

HRV_BASELINE = (
    "Method of HRV4Training and GoldenCheetah: ln(rMSSD) 7-day mean against the 60-day "
    "mean +/- 0.75 SD; 3 valid mornings a week make a usable weekly mean (Plews 2014)."
)
RHR = "A rise of 3-5 bpm over the personal baseline is the usual readiness cue (Oura)."
SLEEP = (
    "Weak: fixed sleep targets are not well supported; < 8 h was linked to 1.7x injury risk in "
    "adolescent athletes (Milewski 2014); the 2021 consensus favours individual sleep needs "
    "(Walsh 2021), so a night counts against your own usual."
)
SLEEP_NEED = (
    "Consensus, not a trial: athletes' sleep need is individual and often above 7 h (Walsh 2021, "
    "BJSM); < 8 h went with 1.7x injury risk in adolescent athletes (Milewski 2014)."
)
TWO_OF_THREE = (
    "Product rule: one signal alone is noisy; two drifting together is treated as real. "
    "Not validated as an injury predictor."
)
TEN_PERCENT = (
    "Weak: the 10 %/week rule showed no effect in a randomised trial (Buist 2008); "
    "+20-60 % weekly distance raised short-term risk (Damsted 2019)."
)
SPIKE = (
    "Better supported: a run > 10 % longer than the longest of the previous 30 days had "
    "hazard ratio 1.64 in a 2025 cohort of 5,205 runners."
)
ACWR = (
    "Weak, advisory only: the 0.8-1.3 'sweet spot' (Gabbett 2016) is contested "
    "(coupling, Lolli 2019; random denominators do as well, Impellizzeri 2020)."
)
MONOTONY = "Foster 1998; Runalyze warns at monotony 1.5 and calls 2 critical."
PMC = (
    "Fitness/fatigue model: a description of load history, not a prediction of performance."
)
DELOAD = "Coaching practice (step-back week every 3-4 weeks); little controlled evidence."
RETURN_TO_RUN = (
    "Tendon and bone adapt more slowly than heart and lungs; detraining of VO2max is about "
    "-7 % by day 12 and -14 % by day 56 (Coyle 1984), so feeling fit is not the signal."
)
PAIN_RULE = (
    "Pain-monitoring model used in tendon and knee rehab: up to 3/10 during loading that "
    "settles by the next morning is acceptable (Silbernagel 2007)."
)
BLOCK = "Coaching practice: hard days separated by easy days; little controlled evidence."
CADENCE = (
    "+5 % step rate lowers knee load (Heiderscheit 2011); cadence is a personal trend, "
    "not a universal target (elite range 160-210)."
)
IMPACT = (
    "Peak acceleration is a trend, not a measure of bone load; it is not a diagnosis."
)
ASYMMETRY = "Growing asymmetry can follow pain or fatigue; a trend worth a look, not a diagnosis."
STRIKE = "No strike pattern is better per se; a sudden change can be compensation for pain."
COLD_WATER = (
    "11-15 C for 11-15 min helps soreness (Machado 2016); it blunts strength gains "
    "(Roberts 2015); harm to endurance adaptation is not clearly shown (review 2021)."
)
HR_RECHECK = "Coaching practice: easy-pace heart rate back to its pre-block level before intensity."
