"""Open quantum Hopfield networks as spin models (docs/theory.md §7; paper §5; Rotondo et al. 2018).

Patterns xi^mu_k = +-1 (mu = 1..p, k = 1..N), H = Omega sum_k sigma_x^(k), jumps
J_pm^(k) = sigma_pm^(k) Gamma_pm(dE_k), Gamma_pm(x) = e^{pm beta x/2} / sqrt(2 cosh(beta x)),

    eq. 59:  dE_k = (1/N) sum_mu xi^mu_k sum_j xi^mu_j sigma_z^(j)          (all j)
    eq. 58:  the same without j = k; since sigma_+ (sigma_-) acts on a site that is down (up),
             this is exactly Gamma_+(dE_k + p/N) and Gamma_-(dE_k - p/N) with the eq. 59 dE_k.

Sites with equal signature s = (xi^1_k, ..., xi^p_k) form a block g of size N_g, and
dE_k = sum_g (N_g/N) (s_b . s_g) m_z^g for k in block b. Gauge reduction: the spin flip
prod sigma_x^(k) over the sites with xi^1_k = -1 maps the model onto itself with those signatures
negated (Gamma_+(-x) = Gamma_-(x)), so 2^(p-1) blocks suffice; the flipped sites' states are
rotated by pi about x (Bloch vector (x, y, z) -> (x, -y, -z)). Pattern overlaps
m^mu = (1/N) sum_k xi^mu_k sigma_z^(k) = sum_g (N_g/N) s^mu_g m_z^g are gauge invariant.

One pattern (p = 1) gauges to a single ferromagnetic block: `hopfield_model` builds it directly, and
`tagged_hopfield_model` splits off single tagged sites as blocks of their own (Theorem 2, paper eq. 50).
"""
from __future__ import annotations

import numpy as np

from .spin import BlockModel, Channel, SpinModel, check_integer, check_real

VARIANTS = ("eq58", "eq59")


def hopfield_rates(beta: float):
    """(Gamma_+, Gamma_-) with Gamma_pm(x) = e^{pm beta x/2} / sqrt(2 cosh(beta x)); Gamma_+^2 + Gamma_-^2 = 1."""
    def gamma_plus(x):
        return np.exp(beta * x / 2 - 0.5 * np.logaddexp(beta * x, -beta * x))

    def gamma_minus(x):
        return np.exp(-beta * x / 2 - 0.5 * np.logaddexp(beta * x, -beta * x))
    return gamma_plus, gamma_minus


def random_patterns(p: int, N: int, seed=None) -> np.ndarray:
    """p random patterns of N entries +-1 (seeded)."""
    return np.where(np.random.default_rng(seed).random((p, N)) < 0.5, -1, 1)


def _self_shift(variant: str, N: int) -> float:
    """The offset p/N (p = 1) of Gamma_+'s argument that removes the self-interaction (eq. 58), else 0."""
    if variant not in VARIANTS:
        raise ValueError(f"variant must be 'eq58' or 'eq59', got {variant!r}")
    return 1.0 / N if variant == "eq58" else 0.0


def hopfield_model(N: int, beta: float, omega: float, variant: str = "eq59") -> SpinModel:
    """Single-block quantum Hopfield model with one pattern (paper eqs. 58-59, docs/theory.md §7).

    H = omega S_x; channels sigma_+ and sigma_- with amplitudes Gamma_pm(Delta_pm) of `hopfield_rates`,
    Delta_pm = m_z (eq. 59), or Delta_pm = m_z pm 1/N (eq. 58: the site's own spin excluded).
    The same model as HopfieldNetwork(np.ones((1, N)), beta, omega, variant).model.

    Parameters
    ----------
    N : int >= 1
    beta : float
        Inverse temperature (any finite real; beta > 0 is ferromagnetic).
    omega : float
        Transverse field.
    variant : "eq59" | "eq58"

    Returns
    -------
    SpinModel with channels [sigma_+, sigma_-].
    """
    N = check_integer("N", N)
    beta, omega = check_real("beta", beta), check_real("omega", omega)
    shift = _self_shift(variant, N)
    gp, gm = hopfield_rates(beta)
    return SpinModel(N=N, h=(omega, 0, 0), channels=[
        Channel("plus", gamma=gp, delta=(0, 0, 1), offset=+shift),
        Channel("minus", gamma=gm, delta=(0, 0, 1), offset=-shift)])


def tagged_hopfield_model(N: int, beta: float, omega: float, tagged: int = 1,
                          variant: str = "eq59") -> BlockModel:
    """The one-pattern Hopfield model of N bulk sites and `tagged` tagged sites, each its own block.

    Blocks: sizes (N, 1, ..., 1) (block 0 the bulk, blocks 1..tagged the tagged sites), N_tot = N + tagged.
    Every block has the field (omega, 0, 0) and the channels sigma_+, sigma_- (in this order, block by
    block) with the rates of all N_tot sites: Delta = (N m_z^0 + sum_{t >= 1} m_z^t) / N_tot, shifted by
    +1/N_tot (sigma_+) and -1/N_tot (sigma_-) for variant "eq58". With every block in the same state this
    is `hopfield_model(N_tot, ...)`; Theorem 2 (paper eq. 50) concerns a tagged site prepared apart.

    Parameters
    ----------
    N : int >= 1
        Bulk sites.
    beta, omega : float
        Inverse temperature and transverse field (finite reals).
    tagged : int >= 1
        Number of tagged sites.
    variant : "eq59" | "eq58"

    Returns
    -------
    BlockModel with B = 1 + tagged blocks and 2 B channels.
    """
    N, tagged = check_integer("N", N), check_integer("tagged", tagged)
    beta, omega = check_real("beta", beta), check_real("omega", omega)
    sizes = (N,) + (1,) * tagged
    total = N + tagged
    shift = _self_shift(variant, total)
    gp, gm = hopfield_rates(beta)
    delta = np.zeros((len(sizes), 3))
    delta[:, 2] = np.array(sizes) / total
    channels = [Channel(op, gamma=g, delta=delta, offset=sign * shift, block=b) for b in range(len(sizes))
                for op, g, sign in (("plus", gp, 1), ("minus", gm, -1))]
    return BlockModel(sizes, h=[(omega, 0, 0)] * len(sizes), channels=channels)


class HopfieldNetwork:
    """The block model of a quantum Hopfield network with explicit patterns.

    Parameters
    ----------
    patterns : array (p, N) of +-1
    beta, omega : inverse temperature and transverse field
    variant : "eq59" (all sites in dE) or "eq58" (self-interaction excluded)
    gauge : reduce to 2^(p-1) blocks by the spin flip on the sites with xi^1_k = -1

    Attributes: model (BlockModel), signatures (B, p) block signatures in the model's frame,
    block_of_site (N,), flipped (N,) bool (sites rotated by the gauge), sizes.
    """

    def __init__(self, patterns, beta: float, omega: float, variant: str = "eq59", gauge: bool = True):
        xi = np.asarray(patterns)
        if xi.ndim != 2 or xi.size == 0 or not np.all(np.isin(xi, (-1, 1))):
            raise ValueError("patterns must be a non-empty (p, N) array of +1 and -1")
        if variant not in VARIANTS:
            raise ValueError(f"variant must be 'eq58' or 'eq59', got {variant!r}")
        beta, omega = check_real("beta", beta), check_real("omega", omega)
        if not isinstance(gauge, (bool, np.bool_)):
            raise ValueError(f"gauge must be True or False, got {gauge!r}")
        self.patterns = xi.astype(int)
        self.p, self.N = xi.shape
        self.beta, self.omega, self.variant, self.gauge = float(beta), float(omega), variant, gauge
        self.flipped = (xi[0] == -1) if gauge else np.zeros(self.N, dtype=bool)
        frame = np.where(self.flipped, -xi, xi)  # patterns in the model's frame
        sigs = sorted({tuple(col) for col in frame.T}, reverse=True)
        index = {s: b for b, s in enumerate(sigs)}
        self.block_of_site = np.array([index[tuple(col)] for col in frame.T])
        self.signatures = np.array(sigs, dtype=int)
        self.sizes = tuple(int(n) for n in np.bincount(self.block_of_site, minlength=len(sigs)))
        self.model = self._build()

    def _build(self) -> BlockModel:
        B, N = len(self.sizes), self.N
        weights = np.array(self.sizes) / N
        overlap = self.signatures @ self.signatures.T  # s_b . s_g
        gp, gm = hopfield_rates(self.beta)
        shift = self.p / N if self.variant == "eq58" else 0.0
        channels = []
        for b in range(B):
            delta = np.zeros((B, 3))
            delta[:, 2] = overlap[b] * weights
            channels.append(Channel("plus", gamma=gp, delta=delta, offset=+shift, block=b))
            channels.append(Channel("minus", gamma=gm, delta=delta, offset=-shift, block=b))
        h = np.zeros((B, 3))
        h[:, 0] = self.omega
        return BlockModel(self.sizes, h=h, channels=channels)

    def block_bloch(self, bloch_of_signature) -> np.ndarray:
        """Per-block Bloch vectors (B, 3) of the product state whose sites with (original)
        signature s have Bloch vector bloch_of_signature(s); checked for consistency in a block."""
        if not callable(bloch_of_signature):
            raise ValueError("bloch_of_signature must be a function of a signature (p entries +-1) "
                             "returning a Bloch vector (3,)")
        out = np.full((len(self.sizes), 3), np.nan)
        for k in range(self.N):
            sig = tuple(int(v) for v in self.patterns[:, k])
            try:
                r = bloch_of_signature(sig)
            except Exception as err:
                reason = " ".join(f"{type(err).__name__}: {err}".split())
                raise ValueError(f"bloch_of_signature failed on the signature {sig} (p = {self.p} patterns, "
                                 f"indices 0..{self.p - 1}): {reason}") from err
            try:
                r = np.asarray(r, dtype=float)
            except (TypeError, ValueError):
                r = np.full(0, np.nan)
            if r.shape != (3,) or not np.all(np.isfinite(r)) or np.linalg.norm(r) > 1 + 1e-12:
                raise ValueError(f"bloch_of_signature must return a finite Bloch vector (3,) of length <= 1, "
                                 f"got {r.tolist() if r.size else 'no vector'} for signature {sig}")
            if self.flipped[k]:
                r = r * np.array([1, -1, -1])
            b = self.block_of_site[k]
            if np.isnan(out[b, 0]):
                out[b] = r
            elif not np.allclose(out[b], r):
                raise ValueError(f"sites of block {b} would start in different states {out[b]} and {r}: "
                                 "the state is not permutation invariant inside the block")
        return out

    def pattern_bloch(self, mu: int = 0, corruption: float = 0.0) -> np.ndarray:
        """Per-block Bloch vectors of pattern mu with each spin flipped with probability
        `corruption` (a classical random configuration): r_z = xi^mu_k (1 - 2 corruption)."""
        if isinstance(mu, (bool, np.bool_)) or not isinstance(mu, (int, np.integer)) or not 0 <= mu < self.p:
            raise ValueError(f"mu must be a pattern index in 0..{self.p - 1} (p = {self.p} patterns), got {mu!r}")
        if isinstance(corruption, (bool, np.bool_)) or not isinstance(corruption, (int, float, np.integer, np.floating)) \
                or not 0 <= corruption <= 1:
            raise ValueError(f"corruption must be a number in [0, 1], got {corruption!r}")
        return self.block_bloch(lambda s: (0.0, 0.0, s[mu] * (1 - 2 * corruption)))

    def overlaps(self, mean_z: np.ndarray) -> np.ndarray:
        """Pattern overlaps m^mu = sum_g (N_g/N) s^mu_g m_z^g from block averages m_z^g (B, ...)."""
        w = np.array(self.sizes) / self.N
        mean_z = np.asarray(mean_z)
        return np.tensordot(self.signatures.T * w, mean_z, axes=(1, 0))

    def overlap_distributions(self) -> dict:
        """{"overlap mu": weights (B,)} for every pattern mu = 1..p: the weights (N_g/N) s^mu_g of
        the overlap m^mu = sum_g w_g m_z^g, in the form run_ensemble(distributions=...) takes."""
        w = np.array(self.sizes) / self.N
        return {f"overlap {mu + 1}": (self.signatures[:, mu] * w).tolist() for mu in range(self.p)}

    def __repr__(self) -> str:
        return (f"HopfieldNetwork(p={self.p}, N={self.N}, blocks={self.sizes}, beta={self.beta}, "
                f"omega={self.omega}, {self.variant}, gauge={self.gauge})")

