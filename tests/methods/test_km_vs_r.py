"""Kaplan-Meier, log-rank and RMST against R survival 3.5-3, to 1e-6 relative."""

from __future__ import annotations

import pandas as pd
import pytest

from detente.methods import km, rmst

pytestmark = pytest.mark.filterwarnings("ignore::detente.exceptions.StatisticalWarning")

R_KM = """
library(survival)
d <- read.csv("../shared/data/fortna_peacekeeping_duration/fortna_pk_pkept.csv")
last <- d[!duplicated(d$id, fromLast = TRUE), ]
print(survdiff(Surv(X_t, X_d) ~ pk_dum, data = last)$chisq, digits = 17)
s <- survfit(Surv(X_t, X_d) ~ pk_dum, data = last)
print(summary(s, rmean = 3000)$table[, c("rmean", "se(rmean)", "median")], digits = 17)
ss <- summary(s, times = c(365, 1000, 2000)); print(cbind(ss$surv, ss$std.err, ss$lower, ss$upper), digits = 17)
sc <- survfit(Surv(X_t0, X_t, X_d) ~ pk_dum, data = d)
ss <- summary(sc, times = c(365, 1000, 2000)); print(cbind(ss$surv, ss$std.err, ss$lower, ss$upper), digits = 17)
"""
R_LOGRANK = "[1] 1.5655047666931634"
R_RMEAN = """
                      rmean          se(rmean) median
pk_dum=0 1972.6815874010065 111.74636983794372   5844
pk_dum=1 1660.5937500000000 228.51691018602276   1324
"""
R_KM_RIGHT = """
                    [,1]                 [,2]                [,3]
[1,] 0.79032258064516148 0.036556716779186565 0.72182461967348188
[2,] 0.66935483870967771 0.042247250206910711 0.59146854384104286
[3,] 0.58053315412186424 0.044325263735667378 0.49984517689449098
[4,] 0.75000000000000000 0.076546554461974309 0.61402473970560434
[5,] 0.56250000000000000 0.087695095002514240 0.41439849632874298
[6,] 0.46875000000000000 0.088215545239345425 0.32415369004719508
                    [,4]
[1,] 0.86532069488038610
[2,] 0.75749742698821909
[3,] 0.67424626387026088
[4,] 0.91608686690652241
[5,] 0.76353136607183636
[6,] 0.67784686476346756
"""
R_KM_COUNTING = """
                    [,1]                 [,2]                [,3]
[1,] 0.77419376961711084 0.038966539699339393 0.70146691965149344
[2,] 0.64867407126245791 0.044099551094540695 0.56775155308362535
[3,] 0.56259667191320606 0.045245853268261228 0.48055241431403084
[4,] 0.80413895048041384 0.062124563777485188 0.69114738157889632
[5,] 0.64789709869608947 0.076141639018197510 0.51460240977232685
[6,] 0.54445134344209190 0.084408081408311492 0.40178572306305260
                    [,4]
[1,] 0.85446081079880054
[2,] 0.74113060271318176
[3,] 0.65864826774333884
[4,] 0.93560283799747834
[5,] 0.81571839254411471
[6,] 0.73777451104050318
"""
TIMES = (365, 1000, 2000)


def _at(fit, times) -> list[list[float]]:
    rows = []
    for group in ("pk_dum=0", "pk_dum=1"):
        t = fit.table_[fit.table_.group == group]
        for time in times:
            r = t[t.time <= time].iloc[-1]
            rows.append([r.survival, r.std_error, r.conf_low, r.conf_high])
    return rows


@pytest.fixture(scope="module")
def last(fortna: pd.DataFrame) -> pd.DataFrame:
    return fortna.drop_duplicates("id", keep="last")


def test_km_right_censored_and_logrank(last, rout) -> None:
    fit = km("pk_dum", last, duration="_t", event="_d")
    rout.assert_rel(_at(fit, TIMES), rout.matrix(R_KM_RIGHT))
    rout.assert_rel(fit.logrank_["statistic"], rout.unnamed(R_LOGRANK)[0])
    med = rout.table(R_RMEAN)
    assert fit.medians_["pk_dum=0"] == med["pk_dum=0"][2]
    assert fit.medians_["pk_dum=1"] == med["pk_dum=1"][2]


def test_km_delayed_entry(fortna, rout) -> None:
    fit = km("pk_dum", fortna, entry="_t0", duration="_t", event="_d")
    rout.assert_rel(_at(fit, TIMES), rout.matrix(R_KM_COUNTING))


def test_rmst(last, rout) -> None:
    fit = rmst("pk_dum", last, duration="_t", event="_d", tau=3000)
    t = fit.tidy().set_index("term")
    for group, (mean, se, _median) in rout.table(R_RMEAN).items():
        rout.assert_rel(t.loc[group, "estimate"], mean)
        rout.assert_rel(t.loc[group, "std_error"], se)
    assert "pk_dum=1 - pk_dum=0" in t.index
