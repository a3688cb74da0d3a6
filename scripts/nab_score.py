"""NAB's own scoring, driven from a checkout of github.com/numenta/NAB (MIT).

Nothing of NAB's is copied here: `Corpus` reads the data, the labels and
the stored results of a NAB checkout (a work tree, or a bare git directory
whose HEAD is exported to a temporary folder), and `score` loads NAB's
`nab/sweeper.py` from it at run time and scores a detector exactly as NAB's
optimizer and normaliser do:

  - each file's rows get NAB's sweep scores (scaled sigmoid, probation of
    the first 15% of rows);
  - the detector's threshold is the one that maximises the corpus score
    (`calcScoreByThreshold` over all files together), as `nab/optimizer.py`;
  - the score is normalised as `nab/runner.py` does: 100 · (S − S_null) /
    (S_perfect − S_null), with S_null the null detector's optimised score and
    S_perfect the number of windows times the profile's true-positive weight.

`check_against_stored` checks the driver file by file against NAB's stored
scores of a published detector (Windowed Gaussian), and NAB's published
39.65 against NAB's stored totals, reading no file the corpus excludes.

data/realTweets/ is outlierd's held-out set: `Corpus(..., exclude=("realTweets",))`
is what scripts/evaluate uses; never tune on it.
"""
import csv
import importlib.util
import json
import os
import subprocess
import tempfile
from datetime import datetime, timezone

PROFILES = ("standard", "reward_low_FP_rate", "reward_low_FN_rate")


def _export(git_dir, into):
    archive = subprocess.run(
        ["git", "--git-dir", git_dir, "archive", "HEAD", "data", "labels", "nab/sweeper.py", "config",
         "results/windowedGaussian", "results/null", "results/final_results.json"],
        check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", into], input=archive, check=True)


def _time(text):
    return datetime.fromisoformat(text.strip().split(".")[0])


class Corpus:
    """NAB's data files, labelled windows and stored results."""

    def __init__(self, location, exclude=()):
        self._temporary = None
        if os.path.isdir(os.path.join(location, "data")):
            self.root = location
        else:  # a bare git directory, as the session's fetch leaves it
            self._temporary = tempfile.TemporaryDirectory()
            _export(location, self._temporary.name)
            self.root = self._temporary.name
        with open(os.path.join(self.root, "labels", "combined_windows.json")) as fh:
            windows = json.load(fh)
        with open(os.path.join(self.root, "config", "profiles.json")) as fh:
            self.profiles = json.load(fh)
        self.files = sorted(p for p in windows if not any(p.startswith(e + "/") for e in exclude))
        self.windows = {p: [(_time(a), _time(b)) for a, b in windows[p]] for p in self.files}

    def rows(self, path):
        """(datetime, value) of every row of a data file."""
        with open(os.path.join(self.root, "data", path)) as fh:
            reader = csv.reader(fh)
            next(reader)
            return [(_time(t), float(v)) for t, v in reader]

    def stored_scores(self, detector, path):
        """A published detector's anomaly scores for a file, from NAB's results/."""
        folder, name = os.path.split(path)
        with open(os.path.join(self.root, "results", detector, folder, f"{detector}_{name}")) as fh:
            reader = csv.DictReader(fh)
            return [float(r["anomaly_score"]) for r in reader]

    def published(self, detector, profile="standard"):
        with open(os.path.join(self.root, "results", "final_results.json")) as fh:
            return json.load(fh)[detector][profile]

    def sweeper_module(self):
        spec = importlib.util.spec_from_file_location("nab_sweeper", os.path.join(self.root, "nab", "sweeper.py"))
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module


def score(corpus, scores_by_file, profile="standard"):
    """NAB's normalised score of a detector, its threshold, and counts.

    `scores_by_file` maps each corpus file to its per-row anomaly scores in
    [0, 1] (missing files count as all zeros, the null detector's answer).
    """
    sweeper_module = corpus.sweeper_module()
    cost = corpus.profiles[profile]["CostMatrix"]

    def optimised(scores_for):
        sweeper = sweeper_module.Sweeper(probationPercent=0.15, costMatrix=cost)
        rows = []
        for path in corpus.files:
            times = [t for t, _ in corpus.rows(path)]
            scores = scores_for(path, len(times))
            rows.extend(sweeper.calcSweepScore(times, scores, list(corpus.windows[path]), path))
        return max(sweeper.calcScoreByThreshold(rows), key=lambda s: s.score)

    best = optimised(lambda path, n: scores_by_file.get(path) or [0.0] * n)
    null = optimised(lambda path, n: [0.0] * n)
    perfect = sum(len(w) for w in corpus.windows.values()) * cost["tpWeight"]
    normalised = 100 * (best.score - null.score) / (perfect - null.score)
    return dict(score=normalised, raw=best.score, threshold=best.threshold, tp=best.tp, fp=best.fp,
                fn=best.fn, null=null.score, perfect=perfect)


def check_against_stored(corpus, detector="windowedGaussian", profile="standard"):
    """This driver against NAB's own numbers for a published detector,
    without reading any file the corpus excludes (realTweets stays unread):

      - per file of the corpus: the driver's score of NAB's stored anomaly
        scores at NAB's stored threshold must equal the score NAB stored for
        that file (results/DETECTOR/DETECTOR_PROFILE_scores.csv);
      - NAB's published normalised score follows from NAB's stored totals
        (the detector's and the null detector's) and the label count.

    Returns (largest per-file difference, files compared, the score from
    NAB's totals, the published score)."""
    sweeper = corpus.sweeper_module().Sweeper(
        probationPercent=0.15, costMatrix=corpus.profiles[profile]["CostMatrix"])

    def stored(name):
        with open(os.path.join(corpus.root, "results", name, f"{name}_{profile}_scores.csv")) as fh:
            return list(csv.DictReader(fh))

    rows = stored(detector)
    by_file = {r["File"]: r for r in rows if r["Detector"] == detector}
    worst = 0.0
    for path in corpus.files:
        row = by_file[path]
        times = [t for t, _ in corpus.rows(path)]
        _, match = sweeper.scoreDataSet(times, corpus.stored_scores(detector, path), list(corpus.windows[path]),
                                        path, float(row["Threshold"]))
        worst = max(worst, abs(match.score - float(row["Score"])))
    total = float(next(r for r in rows if r["Detector"] == "Totals")["Score"])
    null = float(next(r for r in stored("null") if r["Detector"] == "Totals")["Score"])
    with open(os.path.join(corpus.root, "labels", "combined_windows.json")) as fh:
        perfect = sum(len(w) for w in json.load(fh).values()) * corpus.profiles[profile]["CostMatrix"]["tpWeight"]
    return worst, len(corpus.files), 100 * (total - null) / (perfect - null), corpus.published(detector, profile)


def unix(moment):
    return moment.replace(tzinfo=timezone.utc).timestamp()
