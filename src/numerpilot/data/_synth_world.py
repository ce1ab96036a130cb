"""A synthetic stock market that behaves like Numerai's data, era by era.

Each era draws new stocks. A stock's features are quantile-binned noisy measurements of hidden
characteristics shared within a feature group, so features in a group correlate. Its 20- and
60-day outcomes add three parts:

- a persistent signal (``alpha``) of the observed features: linear, U-shaped, pairwise and
  threshold interactions, and two parts whose sign flips between long regimes;
- factor returns times the stock's factor exposures (functions of its features). Factor
  returns are moving sums of a weekly process over the target's span (4 eras for 20-day
  targets, 12 for 60-day), so neighbouring eras share them: a model validated on eras next to
  its training eras looks better than it is, unless an embargo separates them;
- noise shared across targets (a common part, a per-target part shared by its 20- and 60-day
  versions) and noise of its own.

Targets are per-era quantile bins of the outcomes (5/20/50/20/5 %). The world knows the hidden
era state, so it knows the best possible prediction: the conditional expectation of ``target``
given the features and that state (``EraData.oracle``).

Everything is a pure function of ``(seed, era_index)``: any era, including eras after the
dataset's last one (the local tournament's future live eras), can be drawn in any order.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.special import ndtr

from numerpilot.data._synth_layout import (
    FeatureLayout,
    ScaleSpec,
    era_row_counts,
    feature_layout,
    scale_spec,
)
from numerpilot.data._synth_random import (
    Stream,
    percentile_rank,
    seeded,
    single_threaded_blas,
    stock_ids,
)
from numerpilot.data.schema import VersionSpec, version_spec

# Variance shares of a 20-day outcome; the rest is noise. With these the oracle's per-era
# numerai_corr is about 0.11 and a LightGBM model on the demo data reaches about 0.04
# (NUMERAI.md: real models reach 0.02-0.03). The factor share is what makes training on
# eras next to the validation eras pay off visibly (leakage).
ALPHA_SHARE = 0.008
FACTOR_SHARE = 0.008
MAX_ERA_INDEX = 50_000
# Quintile edges of the standard normal: features are equal-frequency bins of N(0, 1) values.
_FEATURE_EDGES = np.array([-0.8416212, -0.2533471, 0.2533471, 0.8416212], dtype=np.float32)
# Target bins: shares 5/20/50/20/5 % of each era's stocks.
_TARGET_QUANTILES = np.array([0.05, 0.25, 0.75, 0.95])
# Variance shares of the alpha components [linear, squared, pairwise, threshold, regime-linear,
# regime-pairwise]; the last two change sign with their regime.
_COMPONENT_SHARES = np.array([0.36, 0.14, 0.17, 0.15, 0.12, 0.06])
# What the published model files know of the regime parts (a walk-forward model averages
# over regimes and catches up slowly), and how much noise they carry.
_BENCH_REGIME, _BENCH_NOISE = 0.3, 2.0
_EXAMPLE_REGIME, _EXAMPLE_NOISE = 0.3, 2.2
_META_REGIME, _META_NOISE = 0.6, 1.4
_CALIBRATION_ROWS = 12_000

F64 = npt.NDArray[np.float64]
F32 = npt.NDArray[np.float32]
I8 = npt.NDArray[np.int8]
Idx = npt.NDArray[np.intp]


@dataclass(frozen=True)
class EraState:
    """The hidden state of an era: what the oracle knows and no model can see."""

    era_index: int
    regimes: F64  # (2,) +1/-1: signs of the regime-dependent alpha parts
    factors20: F64  # (K,) factor returns over the 20-day span (4 eras)
    factors60: F64  # (K,) factor returns over the 60-day span (12 eras)


@dataclass(frozen=True)
class EraData:
    """One era of stocks. Rows align across every array."""

    era_index: int
    ids: npt.NDArray[np.str_]  # (n,) str: "n" + 15 hex digits, unique over all eras
    features: I8  # (n, f) int8 in 0..4 (a column-major view: each column contiguous)
    targets: F32  # (n, t) float32 in {0, .25, .5, .75, 1} or NaN; columns: target_names
    oracle: F64  # (n,) float64: E[target | features, era state], in (0, 1)
    benchmarks: F32  # (n, b) float32 in (0, 1): the version's benchmark model columns
    example: F32  # (n,) float32 in (0, 1): the example model's predictions
    meta_model: F32  # (n,) float32 in (0, 1): the meta model's predictions
    missing_features: Idx  # sorted feature indices set to 2 in every row of this era
    state: EraState

    @property
    def n_rows(self) -> int:
        return len(self.ids)


@dataclass(frozen=True)
class _Draw:
    """Everything an era's arrays are made from (internal; ``EraData`` is the public view)."""

    features: I8  # (f, n) int8
    outcomes: F64  # (2 * names, n) float64: 20-day rows then 60-day rows
    signal: F64  # (n,) float64: the predictable part of the main target's outcome
    model_noise: F64  # (n,) float64: a spurious feature exposure all models share
    alphas: dict[float, tuple[F64, F64]]  # regime weight -> (alpha20, alpha60)


class SyntheticWorld:
    """A deterministic synthetic market for one dataset version at one scale."""

    def __init__(
        self,
        version: str = "v5.3",
        scale: str = "demo",
        seed: int = 0,
        *,
        alpha_share: float = ALPHA_SHARE,
        factor_share: float = FACTOR_SHARE,
    ):
        if not (alpha_share >= 0 and factor_share >= 0 and alpha_share + factor_share < 1):
            raise ValueError("alpha_share and factor_share must be >= 0 and sum to less than 1")
        self.spec: VersionSpec = version_spec(version)
        self.scale: ScaleSpec = scale_spec(scale)
        self.seed = int(seed)
        self.alpha_share = alpha_share
        self.factor_share = factor_share
        self.layout: FeatureLayout = feature_layout(self.spec, self.scale, self.seed)
        self.feature_names: list[str] = list(self.layout.names)
        self.target_names: list[str] = list(self.spec.targets)
        self.benchmark_names: list[str] = list(self.spec.benchmark_columns)
        self.row_counts = era_row_counts(self.scale, self.seed)
        self._build(seeded(self.seed, Stream.STRUCTURE, len(self.feature_names)))
        with single_threaded_blas():
            self._calibrate()

    # -- structure ---------------------------------------------------------------------

    def _build(self, rng: np.random.Generator) -> None:
        f = len(self.feature_names)
        group_of = self.layout.group_of
        n_groups = len(self.layout.groups)
        # Hidden characteristics: two per group plus two market-wide ones. A feature loads on
        # its group's pair and a little on the market pair; rows have unit norm so each
        # feature's hidden value is N(0, 1) and the fixed quintile edges bin it evenly.
        dims = 2 * n_groups + 2
        loadings = np.zeros((f, dims))
        rows = np.arange(f)
        loadings[rows, 2 * group_of] = rng.normal(size=f)
        loadings[rows, 2 * group_of + 1] = rng.normal(size=f)
        loadings[:, -2:] = 0.35 * rng.normal(size=(f, 2))
        loadings /= np.linalg.norm(loadings, axis=1, keepdims=True)
        self._loadings = loadings.astype(np.float32)
        # Share of rows where a feature is pure noise instead of a measurement.
        self._noise_u8 = np.round(rng.uniform(0.2, 0.7, f) * 256).astype(np.uint8)

        # Some features start late (missing in early eras); the rest go missing sporadically.
        late = rng.random(f) < 0.03
        self._late_start = np.where(
            late, rng.integers(2, max(3, int(0.4 * self.scale.train_eras)), f), 0
        )
        self._sporadic_missing = max(0.25, 0.002 * f)

        # The informative features: most of small, some of medium, few of the rest; features
        # in the smaller sets also weigh more (Numerai's small set holds strong features).
        in_small = np.isin(rows, self.layout.small)
        in_medium = np.isin(rows, self.layout.medium)
        p = np.where(in_small, 0.8, np.where(in_medium, 0.3, 0.12))
        chosen = rng.random(f) < p
        if chosen.sum() < min(f, 8):
            chosen[rng.choice(f, min(f, 8), replace=False)] = True
        self._informative = np.flatnonzero(chosen)
        k = len(self._informative)
        weight = np.where(in_small, 3.0, np.where(in_medium, 1.5, 1.0))[self._informative]

        def sparse(share: float) -> F64:
            drawn: F64 = rng.normal(size=k) * weight * (rng.random(k) < share)
            return drawn

        def pairs(count: int) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], F64]:
            a = rng.integers(0, k, count)
            b = (a + rng.integers(1, max(2, k), count)) % k
            return a, b, rng.normal(size=count) * np.sqrt(weight[a] * weight[b])

        self._w_linear = rng.normal(size=k) * weight
        self._w_square = sparse(0.3)
        self._pairs = pairs(max(4, k // 2))
        self._thresholds = pairs(max(3, k // 5))
        self._w_regime = sparse(0.4)
        self._regime_pairs = pairs(max(3, k // 4))

        # Target families: how much of the main signal each shares, its own signal, its
        # sensitivity to factor returns, and its noise loadings (common, own-family).
        names = self.spec.target_names
        main = self.spec.target_alias.split("_")[1]
        self._main_family = names.index(main)
        m = len(names)
        self._rho = np.where(np.arange(m) == self._main_family, 1.0, rng.uniform(0.4, 0.9, m))
        self._gamma = np.where(np.arange(m) == self._main_family, 0.8, rng.uniform(0.3, 1.0, m))
        self._noise_common = rng.uniform(0.5, 0.8, m)
        self._noise_family = rng.uniform(0.3, 0.5, m)
        self._noise_own = np.sqrt(1 - self._noise_common**2 - self._noise_family**2)
        self._w_family = (
            rng.normal(size=(2 * m, k)) * weight * (rng.random((2 * m, k)) < 0.5)
        ).astype(np.float32)

        # Factor exposures: one factor per group (its features' first loading) and a market
        # one; the last row is a spurious direction every published model is exposed to.
        n_factors = n_groups + 1
        exposures = np.zeros((n_factors + 1, f))
        exposures[group_of, rows] = loadings[rows, 2 * group_of]
        exposures[n_groups] = loadings[:, -2]
        exposures[n_factors] = rng.normal(size=f) * (rng.random(f) < 0.2)
        self._exposures = exposures.astype(np.float32)
        self.n_factors = n_factors

        # Missing target values: some auxiliary targets lose random rows, some start late.
        t = len(self.target_names)
        aux = np.array([c not in ("target", self.spec.target_alias) for c in self.target_names])
        self._nan_rate = np.where(aux & (rng.random(t) < 0.4), rng.uniform(0.005, 0.05, t), 0.0)
        self._target_start = np.where(
            aux & (rng.random(t) < 0.15),
            rng.integers(2, max(3, int(0.3 * self.scale.train_eras)), t),
            0,
        )

        # Regimes: two sign processes with stretches of 40-160 eras.
        reg = seeded(self.seed, Stream.REGIME)
        count = MAX_ERA_INDEX // 40 + 2
        self._regime_ends = np.cumsum(reg.integers(40, 161, size=(2, count)), axis=1)
        self._regime_first = reg.choice([-1.0, 1.0], size=2)

        # Column positions of each target column in the outcome rows (20-day rows, then 60).
        self._target_rows = np.array(
            [self._outcome_row(c) for c in self.target_names], dtype=np.intp
        )
        self._bench_rows = [[self._outcome_row(c) for c in b.targets] for b in self.spec.benchmarks]

    def _outcome_row(self, column: str) -> int:
        if column == "target":
            column = self.spec.target_alias
        _, family, horizon = column.split("_")
        row = self.spec.target_names.index(family)
        return row if horizon == "20" else row + len(self.spec.target_names)

    # -- hidden era state ----------------------------------------------------------------

    def _check_era(self, era_index: int) -> None:
        if not 1 <= era_index <= MAX_ERA_INDEX:
            raise ValueError(f"era index must be within 1..{MAX_ERA_INDEX}, got {era_index}")

    def _week(self, week: int) -> F64:
        return seeded(self.seed, Stream.WEEK, week).standard_normal(self.n_factors)

    def era_state(self, era_index: int) -> EraState:
        """The hidden state of ``era_index``: regime signs and factor returns."""
        self._check_era(era_index)
        segment = (self._regime_ends < era_index).sum(axis=1)
        regimes = self._regime_first * np.where(segment % 2 == 0, 1.0, -1.0)
        weeks = np.stack([self._week(w) for w in range(era_index, era_index + 12)])
        return EraState(
            era_index=era_index,
            regimes=regimes,
            factors20=weeks[:4].sum(axis=0) / 2.0,
            factors60=weeks.sum(axis=0) / np.sqrt(12.0),
        )

    def missing_features(self, era_index: int) -> Idx:
        """Features set to 2 in every row of ``era_index`` (Numerai's missing marker)."""
        self._check_era(era_index)
        late = np.flatnonzero(self._late_start > era_index)
        rng = seeded(self.seed, Stream.MISSING, era_index)
        f = len(self.feature_names)
        sporadic = rng.choice(f, min(f, rng.poisson(self._sporadic_missing)), replace=False)
        return np.union1d(late, sporadic).astype(np.intp)

    def default_rows(self, era_index: int) -> int:
        """Rows of ``era_index`` in the written dataset; about ``live_rows`` after it."""
        self._check_era(era_index)
        if era_index <= self.scale.eras:
            return int(self.row_counts[era_index - 1])
        jitter = seeded(self.seed, Stream.ERA, era_index, 1).uniform(-0.015, 0.015)
        return round(self.scale.live_rows * (1 + jitter))

    # -- drawing -------------------------------------------------------------------------

    def _features(self, rng: np.random.Generator, n: int) -> I8:
        hidden = rng.standard_normal((self._loadings.shape[1], n), dtype=np.float32)
        values = self._loadings @ hidden
        x: I8 = (values > _FEATURE_EDGES[0]).view(np.int8).copy()
        for edge in _FEATURE_EDGES[1:]:
            x += (values > edge).view(np.int8)
        del values
        # One random byte per value: below the feature's noise threshold the value is
        # replaced by that byte mod 5 (uniform up to a bias under 1/50).
        coin = rng.integers(0, 256, x.shape, dtype=np.uint8)
        np.copyto(x, (coin % np.uint8(5)).view(np.int8), where=coin < self._noise_u8[:, None])
        return x

    def _components(self, z: F32, regimes: F64) -> F64:
        """The six alpha components of the informative features ``z`` (k, n), unscaled."""
        a, b, w = self._pairs
        ta, tb, tw = self._thresholds
        ra, rb, rw = self._regime_pairs
        corner = ((z[ta] >= 1) & (z[tb] <= -1)).astype(np.float32) - np.float32(0.16)
        return np.stack(
            [
                self._w_linear @ z,
                self._w_square @ (z * z - 2),
                w @ (z[a] * z[b]),
                tw @ corner,
                regimes[0] * (self._w_regime @ z),
                regimes[1] * (rw @ (z[ra] * z[rb])),
            ]
        )

    def _alpha(self, comps: F64, family: F64, regime_weight: float) -> tuple[F64, F64]:
        """20- and 60-day alpha of every target family, each of unit variance."""
        weights = np.sqrt(_COMPONENT_SHARES) * self._component_scale
        weights[4:] *= regime_weight
        main = (weights @ comps) * self._main_scale
        rho = self._rho[:, None]
        m = len(self._rho)
        alpha20 = rho * main + np.sqrt(1 - rho**2) * family[:m]
        alpha60 = 0.8 * alpha20 + 0.6 * family[m:]
        return alpha20, alpha60

    def _draw(self, era_index: int, n: int, missing: Idx, state: EraState) -> _Draw:
        ss = np.random.SeedSequence([self.seed, Stream.ERA, era_index])
        r_features, r_noise = (np.random.default_rng(s) for s in ss.spawn(2))
        x = self._features(r_features, n)
        x[missing] = 2
        return self._outcomes(x, r_noise, state)

    def _outcomes(self, x: I8, rng: np.random.Generator, state: EraState) -> _Draw:
        n = x.shape[1]
        z_all = x.astype(np.float32)
        z_all -= 2
        z = z_all[self._informative]
        exposure = (self._exposures @ z_all).astype(np.float64) * self._exposure_scale[:, None]
        del z_all
        comps = self._components(z, state.regimes).astype(np.float64)
        family = (self._w_family @ z).astype(np.float64) * self._family_scale[:, None]
        alphas = {
            w: self._alpha(comps, family, w)
            for w in (1.0, _BENCH_REGIME, _EXAMPLE_REGIME, _META_REGIME)
        }
        alpha20, alpha60 = alphas[1.0]
        k = self.n_factors
        fac20 = state.factors20 @ exposure[:k] / np.sqrt(k)
        fac60 = state.factors60 @ exposure[:k] / np.sqrt(k)

        m = len(self._rho)
        c20 = rng.standard_normal(n)
        c60 = 0.5 * c20 + np.sqrt(0.75) * rng.standard_normal(n)
        fam = rng.standard_normal((m, n))
        own = rng.standard_normal((2, m, n))
        a, b, s = (v[:, None] for v in (self._noise_common, self._noise_family, self._noise_own))
        noise20 = a * c20 + b * fam + s * own[0]
        noise60 = a * c60 + b * fam + s * own[1]

        va, vf = np.sqrt(self.alpha_share), np.sqrt(self.factor_share)
        vn = np.sqrt(1 - self.alpha_share - self.factor_share)
        gamma = self._gamma[:, None]
        signal20 = va * alpha20 + vf * gamma * fac20
        signal60 = va * alpha60 + vf * gamma * fac60
        outcomes = np.concatenate([signal20 + vn * noise20, signal60 + vn * noise60])
        return _Draw(
            features=x,
            outcomes=outcomes,
            signal=signal20[self._main_family],
            model_noise=exposure[k],
            alphas=alphas,
        )

    def _calibrate(self) -> None:
        """Scale every component to unit variance on a large sample of one era."""
        rng = seeded(self.seed, Stream.CALIBRATION)
        x = self._features(rng, _CALIBRATION_ROWS)
        z_all = x.astype(np.float32) - 2
        z = z_all[self._informative]
        self._exposure_scale = 1 / np.maximum(
            (self._exposures @ z_all).astype(np.float64).std(axis=1), 1e-9
        )
        self._family_scale = 1 / np.maximum(
            (self._w_family @ z).astype(np.float64).std(axis=1), 1e-9
        )
        comps = self._components(z, np.ones(2)).astype(np.float64)
        self._component_scale = 1 / np.maximum(comps.std(axis=1), 1e-9)
        self._main_scale = 1.0
        main = (np.sqrt(_COMPONENT_SHARES) * self._component_scale) @ comps
        self._main_scale = 1 / max(float(main.std()), 1e-9)

    # -- public --------------------------------------------------------------------------

    def make_era(self, era_index: int, n_rows: int | None = None) -> EraData:
        """Draw era ``era_index`` (1-based; any era up to MAX_ERA_INDEX, in any order).

        Targets are complete apart from the auxiliary targets' own gaps; hiding targets of
        test and live eras is the caller's business. Deterministic in (seed, era_index, n_rows).
        """
        self._check_era(era_index)
        n = self.default_rows(era_index) if n_rows is None else int(n_rows)
        if not 2 <= n < 1 << 20:  # ids encode the row in 20 bits
            raise ValueError(f"an era needs 2 to 1,048,575 rows, got {n}")
        state = self.era_state(era_index)
        missing = self.missing_features(era_index)
        with single_threaded_blas():
            draw = self._draw(era_index, n, missing, state)
        targets = self._bin_targets(draw.outcomes)
        oracle = self._oracle(draw.signal, draw.outcomes[self._target_rows[0]])
        self._hide_targets(targets, era_index)
        preds = self._model_predictions(draw, era_index)
        return EraData(
            era_index=era_index,
            ids=stock_ids(self.seed, era_index, n),
            features=draw.features.T,
            targets=targets.T,
            oracle=oracle,
            benchmarks=preds[:-2].T,
            example=preds[-2],
            meta_model=preds[-1],
            missing_features=missing,
            state=state,
        )

    def _bin_targets(self, outcomes: F64) -> F32:
        edges = np.quantile(outcomes, _TARGET_QUANTILES, axis=1).T  # (rows, 4)
        binned = (outcomes[:, :, None] > edges[:, None, :]).sum(axis=2).astype(np.float32)
        binned *= np.float32(0.25)
        rows: F32 = binned[self._target_rows]
        return rows

    def _oracle(self, signal: F64, outcome: F64) -> F64:
        """E[bin(outcome) | signal]: outcome = signal + N(0, noise variance)."""
        edges = np.quantile(outcome, _TARGET_QUANTILES)
        sd = np.sqrt(1 - self.alpha_share - self.factor_share)
        return np.asarray(0.25 * ndtr((signal[:, None] - edges[None, :]) / sd).sum(axis=1))

    def _hide_targets(self, targets: F32, era_index: int) -> None:
        rng = seeded(self.seed, Stream.MISSING, era_index, 1)
        holes = rng.random(targets.shape) < self._nan_rate[:, None]
        holes[self._target_start > era_index] = True
        targets[holes] = np.nan

    def _model_predictions(self, draw: _Draw, era_index: int) -> F32:
        """Benchmark columns, the example model and the meta model, each ranked into (0, 1)."""
        rng = seeded(self.seed, Stream.ERA, era_index, 2)
        n = draw.signal.shape[0]
        shared = draw.model_noise

        def model(regime_weight: float, rows: list[int], noise: float, share: float) -> F32:
            alpha = np.concatenate(draw.alphas[regime_weight])
            known = alpha[rows].mean(axis=0)
            known = known / max(float(known.std()), 1e-9)
            own = rng.standard_normal(n)
            return percentile_rank(known + noise * (share * shared + np.sqrt(1 - share**2) * own))

        out = [model(_BENCH_REGIME, rows, _BENCH_NOISE, 0.8) for rows in self._bench_rows]
        main = [self._main_family]
        out.append(model(_EXAMPLE_REGIME, main, _EXAMPLE_NOISE, 0.8))
        out.append(model(_META_REGIME, main, _META_NOISE, 0.7))
        return np.stack(out)


__all__ = ["ALPHA_SHARE", "FACTOR_SHARE", "MAX_ERA_INDEX", "EraData", "EraState", "SyntheticWorld"]
