"""Cox models against R survival 3.5-3 (R 4.2.2): coefficients, model-based and cluster-robust
standard errors, partial log-likelihoods and cox.zph, to 1e-6 relative.

R was run once, with the mirror as working data (``mirror <- "../shared/data"`` from the
repository root); its calls and printed numbers are kept verbatim below.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from detente.methods import cox, cox_zph

pytestmark = pytest.mark.filterwarnings("ignore::detente.exceptions.StatisticalWarning")

# ---------------------------------------------------------------------------------------------
# 1. Fortna, counting-process data (Stata stset columns _t0, _t, _d), cluster(id)
# ---------------------------------------------------------------------------------------------
R_FORTNA = """
library(survival)
d <- read.csv("../shared/data/fortna_peacekeeping_duration/fortna_pk_pkept.csv")
m <- coxph(Surv(X_t0, X_t, X_d) ~ pk_dum + victory + treaty + wartype + logdead + cluster(id),
           data = d, ties = "efron")
print(coef(m), digits = 17)
print(sqrt(diag(vcov(m))), digits = 17)
print(sqrt(diag(m$naive.var)), digits = 17)
print(m$loglik, digits = 17)
m2 <- coxph(Surv(X_t0, X_t, X_d) ~ pk_dum + victory + treaty + wartype + logdead + cluster(cluster),
            data = d, ties = "efron")
print(sqrt(diag(vcov(m2))), digits = 17)
z <- cox.zph(m, terms = FALSE)
print(z$table, digits = 17)
"""
R_FORTNA_COEF = """
              pk_dum              victory               treaty
-0.38630686319189145 -1.70550429221892319 -0.88785550239154021
             wartype              logdead
 0.15294599159573677  0.12129507176033461
"""
R_FORTNA_SE_ROBUST_ID = """
              pk_dum              victory               treaty
0.284122872459773967 0.283766223754743807 0.292383155108397574
             wartype              logdead
0.263862814985602268 0.056610192265538165
"""
R_FORTNA_SE_NAIVE = """
[1] 0.275459991176260688 0.296425742601140074 0.294979782130357748
[4] 0.263270687731519348 0.055576160733713222
"""
R_FORTNA_LOGLIK = "[1] -383.01966127308719 -362.81334729176643"
R_FORTNA_SE_ROBUST_CLUSTER = """
              pk_dum              victory               treaty
0.260731575133472337 0.283554334484404202 0.279775051692144894
             wartype              logdead
0.280189386561128295 0.055571656967035338
"""
R_FORTNA_ZPH = """
                       chisq df                    p
pk_dum  0.002767537730495530  1 0.958044726880609487
victory 3.018692640234412305  1 0.082309795537444747
treaty  0.748610852199737331  1 0.386916399874953520
wartype 0.017783461140747095  1 0.893912913605947490
logdead 0.012715018127949482  1 0.910220126434890253
GLOBAL  8.603205892095322938  5 0.125976629458842082
"""

FORTNA_RHS = "pk_dum + victory + treaty + wartype + logdead"


@pytest.fixture(scope="module")
def fortna_fit(fortna: pd.DataFrame):
    return cox(FORTNA_RHS, fortna, entry="_t0", duration="_t", event="_d", cluster="id")


def test_fortna_counting_process_cluster_id(fortna_fit, rout) -> None:
    coef = rout.named(R_FORTNA_COEF)
    rout.assert_rel(fortna_fit.params_[list(coef)], list(coef.values()), what="coefficients")
    se = rout.named(R_FORTNA_SE_ROBUST_ID)
    rout.assert_rel(fortna_fit.standard_errors_[list(se)], list(se.values()), what="robust SEs")
    rout.assert_rel(np.sqrt(np.diag(fortna_fit.vcov_model_)), rout.unnamed(R_FORTNA_SE_NAIVE), what="naive SEs")
    ll = rout.unnamed(R_FORTNA_LOGLIK)
    rout.assert_rel([fortna_fit.extra_["log_likelihood_null"], fortna_fit.log_likelihood_], ll)
    assert fortna_fit.n_ == 191 and fortna_fit.events_ == 83 and fortna_fit.clusters_ == 155
    assert "no small-sample factor" in fortna_fit.se_type_


def test_fortna_cluster_on_conflict(fortna: pd.DataFrame, rout) -> None:
    fit = cox(FORTNA_RHS, fortna, entry="_t0", duration="_t", event="_d", cluster="cluster")
    se = rout.named(R_FORTNA_SE_ROBUST_CLUSTER)
    rout.assert_rel(fit.standard_errors_[list(se)], list(se.values()))
    assert fit.clusters_ == 96


def test_fortna_ph_test(fortna_fit, rout) -> None:
    expected = rout.table(R_FORTNA_ZPH)
    got = cox_zph(fortna_fit).tidy().set_index("term")
    for term, (chisq, df, p) in expected.items():
        rout.assert_rel(got.loc[term, "statistic"], chisq, what=term)
        rout.assert_rel(got.loc[term, "p_value"], p, what=term)
        assert got.loc[term, "df"] == df


def test_lifelines_robust_se_differs_for_start_stop_data(fortna: pd.DataFrame, rout) -> None:
    """Why the robust variance is computed here: lifelines' cluster-robust SEs, which do not use
    the entry times, do not reproduce R's for counting-process data."""
    from lifelines import CoxPHFitter

    cols = ["_t", "_d", "id", "pk_dum", "victory", "treaty", "wartype", "logdead"]
    df = fortna[cols].dropna()
    cph = CoxPHFitter().fit(df, duration_col="_t", event_col="_d", cluster_col="id")
    se = rout.named(R_FORTNA_SE_ROBUST_ID)
    lifelines_se = cph.standard_errors_[list(se)].to_numpy()
    assert np.max(np.abs(lifelines_se / np.array(list(se.values())) - 1)) > 1e-3


# ---------------------------------------------------------------------------------------------
# 2. Doyle & Sambanis, plain durations with ties: war duration in months until the war ended
# ---------------------------------------------------------------------------------------------
R_DS = """
ds <- read.csv("../shared/data/doyle_sambanis_2000/doyle_sambanis_2000_full.csv")
ds$ended <- as.integer(!is.na(ds$yrend))
m <- coxph(Surv(wardur, ended) ~ wartype + logcost + factnum + major, data = ds, ties = "efron")
print(coef(m), digits = 17); print(sqrt(diag(vcov(m))), digits = 17); print(m$loglik, digits = 17)
mb <- coxph(Surv(wardur, ended) ~ wartype + logcost + factnum + major, data = ds, ties = "breslow")
print(coef(mb), digits = 17); print(sqrt(diag(vcov(mb))), digits = 17)
"""
R_DS_EFRON_COEF = """
             wartype              logcost              factnum
-0.42717591961430412 -0.12803013988422060 -0.13449503501784751
               major
-0.18540374480566821
"""
R_DS_EFRON_SE = """
             wartype              logcost              factnum
0.199633418950779878 0.041558464775850804 0.065601893632893024
               major
0.192585904225480803
"""
R_DS_EFRON_LOGLIK = "[1] -447.63094235454156 -436.72399579858279"
R_DS_BRESLOW_COEF = """
             wartype              logcost              factnum
-0.39211949271989660 -0.11903918594967741 -0.12644648704833555
               major
-0.15780970346618381
"""
R_DS_BRESLOW_SE = """
             wartype              logcost              factnum
0.198829218393413415 0.041514187932763895 0.064979789771718213
               major
0.192158249003691384
"""


@pytest.mark.parametrize(
    ("ties", "coef_text", "se_text"),
    [("efron", R_DS_EFRON_COEF, R_DS_EFRON_SE), ("breslow", R_DS_BRESLOW_COEF, R_DS_BRESLOW_SE)],
)
def test_doyle_sambanis_ties(doyle_sambanis: pd.DataFrame, rout, ties: str, coef_text: str, se_text: str) -> None:
    fit = cox("wartype + logcost + factnum + major", doyle_sambanis, duration="wardur", event="ended", ties=ties)
    coef, se = rout.named(coef_text), rout.named(se_text)
    rout.assert_rel(fit.params_[list(coef)], list(coef.values()))
    rout.assert_rel(fit.standard_errors_[list(se)], list(se.values()))
    assert doyle_sambanis.wardur.duplicated().any()  # the test is about ties
    if ties == "efron":
        rout.assert_rel(
            [fit.extra_["log_likelihood_null"], fit.log_likelihood_], rout.unnamed(R_DS_EFRON_LOGLIK)
        )


# ---------------------------------------------------------------------------------------------
# 3. Walter, counting process with tied event times and repeated events, cluster(ccode); strata
# ---------------------------------------------------------------------------------------------
R_WALTER = """
w <- read.csv("../shared/data/walter_2015_postwar_peace/walter_2015_jcr_country_year.csv")
w <- w[order(w$id, w$year), ]
w$t <- ave(w$year, w$id, FUN = seq_along); w$start <- w$t - 1
mw <- coxph(Surv(start, t, renewed_war) ~ unpko + lgdpl + fhcompor1 + victory + comprehensive +
            intensityln + ethfrac + cluster(ccode), data = w, ties = "efron")
print(coef(mw), digits = 17); print(sqrt(diag(vcov(mw))), digits = 17)
print(sqrt(diag(mw$naive.var)), digits = 17); print(mw$loglik, digits = 17)
print(cox.zph(mw, terms = FALSE)$table, digits = 17)
ms <- coxph(Surv(start, t, renewed_war) ~ unpko + lgdpl + fhcompor1 + strata(victory) + cluster(ccode),
            data = w, ties = "efron")
print(coef(ms), digits = 17); print(sqrt(diag(vcov(ms))), digits = 17)
"""
R_WALTER_COEF = """
                unpko                 lgdpl             fhcompor1
-0.179314284300078980 -0.019225658882565153 -2.496026015259768638
              victory         comprehensive           intensityln
-0.255530083128789443  0.071532874758675605  0.169303361705170075
              ethfrac
-0.631959290235699300
"""
R_WALTER_SE = """
              unpko               lgdpl           fhcompor1             victory
0.81655618974451405 0.28431278676305505 0.88374698540701535 0.54635115918951838
      comprehensive         intensityln             ethfrac
0.76001816028577107 0.18544812856223217 1.30653363891712448
"""
R_WALTER_SE_NAIVE = """
[1] 0.84882814391296701 0.29645749959114059 1.12472430752570585
[4] 0.51958792991247404 0.68440919184117366 0.15723771545097298
[7] 1.03973565260590362
"""
R_WALTER_LOGLIK = "[1] -86.846383944488352 -81.649606018981146"
R_WALTER_ZPH = """
                             chisq df                    p
unpko          0.92442441973114553  1 0.336315939514474527
lgdpl          5.62523536462045648  1 0.017703688383291959
fhcompor1      0.97719481990690937  1 0.322892342587512038
victory        5.19174553872060418  1 0.022694410965687126
comprehensive  1.26709583791099245  1 0.260312206544743241
intensityln    4.80130294024291526  1 0.028438222168209081
ethfrac        1.02063344616210760  1 0.312368801057904655
GLOBAL        14.27088994027859137  7 0.046567810700030604
"""
R_WALTER_STRATA_COEF = """
                unpko                 lgdpl             fhcompor1
-0.686867951169032875 -0.017399818837044032 -2.342500239873875678
"""
R_WALTER_STRATA_SE = """
              unpko               lgdpl           fhcompor1
0.89783219972133987 0.23924826570823168 0.78690262665220712
"""

WALTER_RHS = "unpko + lgdpl + fhcompor1 + victory + comprehensive + intensityln + ethfrac"


def test_walter_counting_process_ties_cluster(walter: pd.DataFrame, rout) -> None:
    fit = cox(WALTER_RHS, walter, entry="start", duration="t", event="renewed_war", cluster="ccode")
    coef, se = rout.named(R_WALTER_COEF), rout.named(R_WALTER_SE)
    rout.assert_rel(fit.params_[list(coef)], list(coef.values()))
    rout.assert_rel(fit.standard_errors_[list(se)], list(se.values()))
    rout.assert_rel(np.sqrt(np.diag(fit.vcov_model_)), rout.unnamed(R_WALTER_SE_NAIVE))
    rout.assert_rel([fit.extra_["log_likelihood_null"], fit.log_likelihood_], rout.unnamed(R_WALTER_LOGLIK))
    zph = cox_zph(fit).tidy().set_index("term")
    for term, (chisq, _df, p) in rout.table(R_WALTER_ZPH).items():
        rout.assert_rel(zph.loc[term, "statistic"], chisq, what=term)
        rout.assert_rel(zph.loc[term, "p_value"], p, what=term)


def test_walter_strata(walter: pd.DataFrame, rout) -> None:
    fit = cox("unpko + lgdpl + fhcompor1", walter, entry="start", duration="t", event="renewed_war",
              cluster="ccode", strata="victory")
    coef, se = rout.named(R_WALTER_STRATA_COEF), rout.named(R_WALTER_STRATA_SE)
    rout.assert_rel(fit.params_[list(coef)], list(coef.values()))
    rout.assert_rel(fit.standard_errors_[list(se)], list(se.values()))
    assert fit.specification_["strata"] == "victory"
