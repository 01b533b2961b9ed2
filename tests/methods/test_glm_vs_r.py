"""Logit, probit, Poisson, negative binomial, OLS and the discrete-time hazard logit against R
4.2.2 (stats::glm, MASS 7.3-58.2 glm.nb, sandwich 3.0-2 vcovCL), to 1e-6 relative.

R was run once from the repository root; calls and printed numbers are kept verbatim. R's
glm.control(epsilon = 1e-14) asks R for the optimum to full precision (the default 1e-8 stops
Fisher scoring for probit a few 1e-8 short of it).
"""

from __future__ import annotations

import numpy as np
import pytest

from detente.methods import discrete_hazard, logit, negbin, ols, poisson, probit

pytestmark = pytest.mark.filterwarnings("ignore::detente.exceptions.StatisticalWarning")

# ---------------------------------------------------------------------------------------------
# Doyle & Sambanis (2000): peacebuilding success on UN multidimensional PKO, logit and probit
# ---------------------------------------------------------------------------------------------
R_DS = """
library(sandwich); library(MASS)
ds <- read.csv("../shared/data/doyle_sambanis_2000/doyle_sambanis_2000_full.csv")
f <- pbs2s3 ~ wartype + logcost + wardur + factnum + trnsfcap + develop + exp + decade + treaty + untype4
m <- glm(f, family = binomial, data = ds, control = glm.control(epsilon = 1e-14, maxit = 100))
print(coef(m), digits = 17); print(sqrt(diag(vcov(m))), digits = 17)
print(sqrt(diag(vcovCL(m, cluster = ~cluster, type = "HC1"))), digits = 17)
print(sqrt(diag(vcovCL(m, cluster = ~cluster, type = "HC0"))), digits = 17)
print(sqrt(diag(vcovCL(m, cluster = ~cluster, type = "HC0", cadjust = FALSE))), digits = 17)
print(logLik(m), digits = 17)
p <- glm(f, family = binomial(link = "probit"), data = ds, control = glm.control(epsilon = 1e-14, maxit = 100))
print(coef(p), digits = 17); print(sqrt(diag(vcov(p))), digits = 17)
print(sqrt(diag(vcovCL(p, cluster = ~cluster, type = "HC1"))), digits = 17)
print(logLik(p), digits = 17)
"""
DS_FORMULA = "pbs2s3 ~ wartype + logcost + wardur + factnum + trnsfcap + develop + exp + decade + treaty + untype4"
R_DS_LOGIT_COEF = """
            (Intercept)                 wartype                 logcost
 7.91986394463085829898 -1.70043460013456448898 -0.45575958804347244113
                 wardur                 factnum                trnsfcap
 0.00675031492891981638 -0.78043793223460811159  0.00417751655709903275
                develop                     exp                  decade
 0.00077685243831352693 -6.18007089815255561405 -0.30465112531128885065
                 treaty                 untype4
 2.18625672898010181555  3.26053422029053230347
"""
R_DS_LOGIT_SE = """
           (Intercept)                wartype                logcost
1.85780988669896274246 0.58825045929331987171 0.13503211637569581538
                wardur                factnum               trnsfcap
0.00395454529322764124 0.29635127917426246080 0.00210722357421382501
               develop                    exp                 decade
0.00046350033623898337 3.55413537546583269133 0.19170119513847658221
                treaty                untype4
0.77540960572755257552 1.50938244349404926403
"""
R_DS_LOGIT_HC1 = """
           (Intercept)                wartype                logcost
1.87524383191573895679 0.62359429830322876676 0.12944024472971010775
                wardur                factnum               trnsfcap
0.00580679545180452870 0.29796550777551655820 0.00178553389895786709
               develop                    exp                 decade
0.00043401453324783536 3.19747995151900354927 0.17690754433545699542
                treaty                untype4
0.85195189453897079979 1.24397180163056830793
"""
R_DS_LOGIT_HC0 = """
           (Intercept)                wartype                logcost
1.79608361047608178218 0.59727032810690694475 0.12397614546879469344
                wardur                factnum               trnsfcap
0.00556167148125932473 0.28538740183779914839 0.00171016062940011196
               develop                    exp                 decade
0.00041569334963683507 3.06250378644477905254 0.16943969394416497076
                treaty                untype4
0.81598819772268071926 1.19145965275382548221
"""
R_DS_LOGIT_NONE = """
          (Intercept)               wartype               logcost
1.7830210108567827731 0.5929264862528621505 0.1230744888080706201
               wardur               factnum              trnsfcap
0.0055212224245728544 0.2833118295510439477 0.0016977229324820786
              develop                   exp                decade
0.0004126700851523528 3.0402307360357663235 0.1682073889063038508
               treaty               untype4
0.8100536593421979736 1.1827943766410098370
"""
R_DS_LOGIT_LOGLIK = "'log Lik.' -45.809995371236496 (df=11)"
R_DS_PROBIT_COEF = """
            (Intercept)                 wartype                 logcost
 4.39269385147216162579 -0.92336021747765961720 -0.24966549385627068158
                 wardur                 factnum                trnsfcap
 0.00306246903594745764 -0.42728079291091952685  0.00236051187567925050
                develop                     exp                  decade
 0.00040184760408699764 -3.69519632099555117577 -0.16521419027210276775
                 treaty                 untype4
 1.20432674988497745439  1.95080473244531038546
"""
R_DS_PROBIT_SE = """
           (Intercept)                wartype                logcost
0.97918436235138139878 0.32191156146499771973 0.07327063701957252373
                wardur                factnum               trnsfcap
0.00218517502993321967 0.16063603376428683966 0.00121843464433429513
               develop                    exp                 decade
0.00025917506721718012 1.96762275746373926921 0.10843372963937111808
                treaty                untype4
0.42185169627592711272 0.84393370286766666855
"""
R_DS_PROBIT_HC1 = """
           (Intercept)                wartype                logcost
0.99025307297875264645 0.34212679286925640199 0.07407014916107212965
                wardur                factnum               trnsfcap
0.00331814062510447233 0.15663958703795877181 0.00102835731826687025
               develop                    exp                 decade
0.00023809221066972564 1.74181523299164231489 0.09766254648700117835
                treaty                untype4
0.47562676537848730396 0.73004640864678205237
"""
R_DS_PROBIT_LOGLIK = "'log Lik.' -46.211956703673053 (df=11)"


def _loglik(text: str) -> float:
    return float(text.split()[2])


def _rename(named: dict[str, float]) -> dict[str, float]:
    """R's term names to formulaic's: (Intercept) -> Intercept, I(t^2) -> I(t ** 2), bs(...)1 -> [1]."""
    out = {}
    for k, v in named.items():
        k2 = k.replace("(Intercept)", "Intercept")
        k2 = k2.replace("I(t^2)", "I(t ** 2)").replace("I(t^3)", "I(t ** 3)")
        if k2.startswith("bs(t,"):
            k2 = f"bs(t, df=3)[{k2[-1]}]"
        out[k2] = v
    return out


def _check(fit, coef_text: str, se_text: str, rout, *, model_se: bool = False) -> None:
    coef = _rename(rout.named(coef_text))
    se = _rename(rout.named(se_text))
    rout.assert_rel(fit.params_[list(coef)], list(coef.values()), what="coefficients")
    got = np.sqrt(np.diag(fit.vcov_model_.loc[list(se), list(se)])) if model_se else fit.standard_errors_[list(se)]
    rout.assert_rel(got, list(se.values()), what="standard errors")


def test_ds_logit_model_based(doyle_sambanis, rout) -> None:
    fit = logit(DS_FORMULA, doyle_sambanis)
    _check(fit, R_DS_LOGIT_COEF, R_DS_LOGIT_SE, rout)
    rout.assert_rel(fit.log_likelihood_, _loglik(R_DS_LOGIT_LOGLIK))
    assert fit.n_ == 122 and fit.events_ == 43 and fit.specification_["rows_dropped_missing"] == 2
    assert fit.se_type_.startswith("model-based")


@pytest.mark.parametrize(("small_sample", "text"), [("HC1", R_DS_LOGIT_HC1), ("HC0", R_DS_LOGIT_HC0), ("none", R_DS_LOGIT_NONE)])
def test_ds_logit_clustered(doyle_sambanis, rout, small_sample: str, text: str) -> None:
    fit = logit(DS_FORMULA, doyle_sambanis, cluster="cluster", small_sample=small_sample)
    _check(fit, R_DS_LOGIT_COEF, text, rout)
    assert small_sample in fit.se_type_ or "no small-sample factor" in fit.se_type_


def test_ds_probit(doyle_sambanis, rout) -> None:
    fit = probit(DS_FORMULA, doyle_sambanis)
    _check(fit, R_DS_PROBIT_COEF, R_DS_PROBIT_SE, rout)
    rout.assert_rel(fit.log_likelihood_, _loglik(R_DS_PROBIT_LOGLIK))
    fit = probit(DS_FORMULA, doyle_sambanis, cluster="cluster")
    _check(fit, R_DS_PROBIT_COEF, R_DS_PROBIT_HC1, rout)


# ---------------------------------------------------------------------------------------------
# Walter (2015): discrete-time hazard logit of renewed war, cubic time and B-spline time
# ---------------------------------------------------------------------------------------------
R_WALTER = """
library(sandwich); library(splines)
w <- read.csv("../shared/data/walter_2015_postwar_peace/walter_2015_jcr_country_year.csv")
w <- w[order(w$id, w$year), ]
w$t <- ave(w$year, w$id, FUN = seq_along)
m <- glm(renewed_war ~ unpko + lgdpl + fhcompor1 + victory + comprehensive + intensityln + ethfrac + t + I(t^2) + I(t^3),
         family = binomial, data = w, control = glm.control(epsilon = 1e-14, maxit = 100))
print(coef(m), digits = 17); print(sqrt(diag(vcovCL(m, cluster = ~ccode, type = "HC1"))), digits = 17); print(logLik(m), digits = 17)
ms <- glm(renewed_war ~ unpko + lgdpl + fhcompor1 + victory + comprehensive + intensityln + ethfrac + bs(t, df = 3),
          family = binomial, data = w, control = glm.control(epsilon = 1e-14, maxit = 100))
print(coef(ms), digits = 17); print(sqrt(diag(vcovCL(ms, cluster = ~ccode, type = "HC1"))), digits = 17)
o <- lm(lgdpl ~ unpko + fhcompor1 + victory + ethfrac, data = w)
print(coef(o), digits = 17); print(sqrt(diag(vcov(o))), digits = 17)
print(sqrt(diag(vcovCL(o, cluster = ~ccode, type = "HC1"))), digits = 17)
print(sqrt(diag(vcovCL(o, cluster = ~ccode, type = "HC0"))), digits = 17)
print(logLik(o), digits = 17)
"""
R_WALTER_CUBIC_COEF = """
            (Intercept)                   unpko                   lgdpl
-7.75399676124708836511 -0.05437980507219476040 -0.05035170883804244296
              fhcompor1                 victory           comprehensive
-2.77055155672370334585 -0.31077283908951758296  0.16637972940880718653
            intensityln                 ethfrac                       t
 0.21597135343370321703 -0.46961717639309102923  0.02681352810720736418
                 I(t^2)                  I(t^3)
-0.00531145750506505955  0.00012806730981251494
"""
R_WALTER_CUBIC_HC1 = """
           (Intercept)                  unpko                  lgdpl
3.31713497095797382741 0.77468920402405139214 0.30135086323110132911
             fhcompor1                victory          comprehensive
1.03171955424412753466 0.57732528430839247235 0.77482148306958731343
           intensityln                ethfrac                      t
0.19479277957538804200 1.34299981348166630468 0.13313408930112849426
                I(t^2)                 I(t^3)
0.00797552587236855133 0.00011613276254268854
"""
R_WALTER_CUBIC_LOGLIK = "'log Lik.' -111.5025248119813 (df=11)"
R_WALTER_BS_COEF = """
          (Intercept)                 unpko                 lgdpl
-7.732366623335170885 -0.054379805072187641 -0.050351708838040049
            fhcompor1               victory         comprehensive
-2.770551556723714004 -0.310772839089518027  0.166379729408806215
          intensityln               ethfrac        bs(t,_df_=_3)1
 0.215971353433704383 -0.469617176393084090  0.259672102082080081
       bs(t,_df_=_3)2        bs(t,_df_=_3)3
-3.108758318022978973  3.191041046349754051
"""
R_WALTER_BS_HC1 = """
        (Intercept)               unpko               lgdpl           fhcompor1
3.31849430804419532 0.77468920402404962 0.30135086323111010 1.03171955424415818
            victory       comprehensive         intensityln             ethfrac
0.57732528430838703 0.77482148306958853 0.19479277957538349 1.34299981348166186
     bs(t,_df_=_3)1      bs(t,_df_=_3)2      bs(t,_df_=_3)3
1.84920258514605718 2.27744425680515761 1.39038996819895266
"""
# (R prints the spline term as "bs(t, df = 3)1"; the spaces are written as "_" here so that the
# printed vector can be split on whitespace.)
R_OLS_COEF = """
         (Intercept)                unpko            fhcompor1
10.23534748326627231 -0.26839240137713577  1.47698030827430360
             victory              ethfrac
-0.15743076482595589 -1.31079909460181421
"""
R_OLS_SE = """
         (Intercept)                unpko            fhcompor1
0.084504902698174567 0.077097849261008281 0.073323932499915173
             victory              ethfrac
0.048817922067912800 0.088869101861708336
"""
R_OLS_HC1 = """
        (Intercept)               unpko           fhcompor1             victory
0.36846212543229812 0.28199660620571537 0.35723876878669825 0.17137912821297499
            ethfrac
0.46739726030931633
"""
R_OLS_HC0 = """
        (Intercept)               unpko           fhcompor1             victory
0.36786542524248828 0.28153993124013754 0.35666024408516406 0.17110159098112504
            ethfrac
0.46664034117247000
"""
R_OLS_LOGLIK = "'log Lik.' -1375.131472167943 (df=6)"

WALTER_X = "unpko + lgdpl + fhcompor1 + victory + comprehensive + intensityln + ethfrac"


def test_walter_discrete_hazard_cubic(walter, rout) -> None:
    fit = discrete_hazard(f"renewed_war ~ {WALTER_X}", walter, time="t", time_terms="cubic", cluster="ccode")
    _check(fit, R_WALTER_CUBIC_COEF, R_WALTER_CUBIC_HC1, rout)
    rout.assert_rel(fit.log_likelihood_, _loglik(R_WALTER_CUBIC_LOGLIK))
    assert fit.clusters_ == 46 and fit.events_ == 24
    assert fit.specification_["time_terms"] == "cubic"


def test_walter_discrete_hazard_spline(walter, rout) -> None:
    fit = discrete_hazard(f"renewed_war ~ {WALTER_X}", walter, time="t", time_terms="spline", df=3, cluster="ccode")
    fix = {k.replace("bs(t,_df_=_3)", "bs(t, df=3)["): v for k, v in rout.named(R_WALTER_BS_COEF).items()}
    coef = {(k + "]" if k.startswith("bs(") else k.replace("(Intercept)", "Intercept")): v for k, v in fix.items()}
    rout.assert_rel(fit.params_[list(coef)], list(coef.values()))
    se = {
        (k.replace("bs(t,_df_=_3)", "bs(t, df=3)[") + "]" if k.startswith("bs(") else k.replace("(Intercept)", "Intercept")): v
        for k, v in rout.named(R_WALTER_BS_HC1).items()
    }
    rout.assert_rel(fit.standard_errors_[list(se)], list(se.values()))


def test_walter_ols(walter, rout) -> None:
    f = "lgdpl ~ unpko + fhcompor1 + victory + ethfrac"
    fit = ols(f, walter)
    _check(fit, R_OLS_COEF, R_OLS_SE, rout)
    rout.assert_rel(fit.log_likelihood_, _loglik(R_OLS_LOGLIK))
    assert fit.distribution == "t" and fit.df_resid_ == len(walter) - 5
    _check(ols(f, walter, cluster="ccode"), R_OLS_COEF, R_OLS_HC1, rout)
    _check(ols(f, walter, cluster="ccode", small_sample="HC0"), R_OLS_COEF, R_OLS_HC0, rout)


# ---------------------------------------------------------------------------------------------
# Hultman, Kathman & Shannon (2013): civilian killings per conflict-month, Poisson and NB
# ---------------------------------------------------------------------------------------------
R_HKS = """
library(MASS); library(sandwich)
hks <- read.csv("../shared/data/hultman_kathman_shannon_2013/hks_ajps_2013_conflict_month.csv")
p <- glm(osvAll ~ troopLag + incomp + lntpop, family = poisson, data = hks, control = glm.control(epsilon = 1e-14, maxit = 100))
print(coef(p), digits = 17); print(sqrt(diag(vcov(p))), digits = 17)
print(sqrt(diag(vcovCL(p, cluster = ~conflict_id, type = "HC1"))), digits = 17); print(logLik(p), digits = 17)
r2 <- glm.nb(osvAll ~ troopLag + incomp + lntpop, data = hks, control = glm.control(epsilon = 1e-14, maxit = 100))
print(coef(r2), digits=17); print(sqrt(diag(vcov(r2))), digits=17); print(c(r2$theta, r2$SE.theta, r2$twologlik/2), digits=17)
print(sqrt(diag(vcovCL(r2, cluster = ~conflict_id, type = "HC1"))), digits = 17)
# HKS's full model: glm.nb from its default start diverges ("NA/NaN/Inf in 'x'": Fisher scoring
# overshoots on counts up to 145,844 with theta near 0.06); started near the optimum it confirms it.
f <- osvAll ~ troopLag + policeLag + militaryobserversLag + brv_AllLag + osvAllLagDum + incomp + epduration + lntpop
r <- glm.nb(f, data = hks, start = c(-9.2367536, -0.5304466, -9.9025812, 21.7618687, 0.0007062, 2.1773614, 2.3793901, -0.0005591, 0.7031066),
            init.theta = 0.0592, control = glm.control(epsilon = 1e-14, maxit = 100))
print(coef(r), digits=17); print(sqrt(diag(vcov(r))), digits=17); print(c(r$theta, r$SE.theta, r$twologlik/2), digits=17)
print(sqrt(diag(vcovCL(r, cluster = ~conflict_id, type = "HC1"))), digits = 17)
"""
R_HKS_POIS_COEF = """
          (Intercept)              troopLag                incomp
-5.543508220196975422  0.023025737011044888  3.894144504592893519
               lntpop
 0.257108232051490637
"""
R_HKS_POIS_SE = """
           (Intercept)               troopLag                 incomp
0.04219900589146884096 0.00047926358797620023 0.01787688963014635521
                lntpop
0.00197582525839785266
"""
R_HKS_POIS_HC1 = """
         (Intercept)             troopLag               incomp
5.496465542332690468 0.060465343487471221 0.627315128683700762
              lntpop
0.492149704620804540
"""
R_HKS_POIS_LOGLIK = "'log Lik.' -1327556.8738846735 (df=4)"
R_HKS_NB_COEF = """
         (Intercept)             troopLag               incomp
-9.20550919432511527  0.61179900724230618  3.59852039142837832
              lntpop
 0.64124266109081662
"""
R_HKS_NB_SE = """
         (Intercept)             troopLag               incomp
0.935103944333843029 0.028616538024035059 0.202640618710560605
              lntpop
0.076749648396916309
"""
R_HKS_NB_THETA = "[1]  4.1661396135487111e-02  1.5423722844394470e-03 -6.5111631356283160e+03"
R_HKS_NB_HC1 = """
        (Intercept)            troopLag              incomp              lntpop
2.57201039512630469 0.06024962034816371 0.58335342385833155 0.22159408746958095
"""
R_HKS_FULL_COEF = """
            (Intercept)                troopLag               policeLag
-9.23675356303067474073 -0.53044662099260075916 -9.90258128643555046722
   militaryobserversLag              brv_AllLag            osvAllLagDum
21.76186887479977727367  0.00070620477939370289  2.17736135874643199628
                 incomp              epduration                  lntpop
 2.37939011151990076343 -0.00055914098168648716  0.70310660360258425694
"""
R_HKS_FULL_SE = """
           (Intercept)               troopLag              policeLag
0.87508366176348628684 0.06237057254755563884 1.04213553889786503248
  militaryobserversLag             brv_AllLag           osvAllLagDum
1.30176695384028318081 0.00058039328580022193 0.17623767441070575801
                incomp             epduration                 lntpop
0.18713081606735365581 0.00135813129505745617 0.07266536547010689351
"""
R_HKS_FULL_THETA = "[1]  5.9194260183881763e-02  2.2806677775114061e-03 -6.2601541238792443e+03"
R_HKS_FULL_HC1 = """
           (Intercept)               troopLag              policeLag
2.17209359807714941226 0.07007359272424058816 1.99674853348320646695
  militaryobserversLag             brv_AllLag           osvAllLagDum
3.92445443655636516667 0.00043752670917984927 0.32118461054971553237
                incomp             epduration                 lntpop
0.46294919084061209036 0.00334467888538486679 0.16790959268605434862
"""


def test_hks_poisson(hks, rout) -> None:
    f = "osvAll ~ troopLag + incomp + lntpop"
    fit = poisson(f, hks)
    _check(fit, R_HKS_POIS_COEF, R_HKS_POIS_SE, rout)
    rout.assert_rel(fit.log_likelihood_, _loglik(R_HKS_POIS_LOGLIK))
    _check(poisson(f, hks, cluster="conflict_id"), R_HKS_POIS_COEF, R_HKS_POIS_HC1, rout)


def test_hks_negbin(hks, rout) -> None:
    fit = negbin("osvAll ~ troopLag + incomp + lntpop", hks, cluster="conflict_id")
    _check(fit, R_HKS_NB_COEF, R_HKS_NB_SE, rout, model_se=True)
    _check(fit, R_HKS_NB_COEF, R_HKS_NB_HC1, rout)
    theta, se_theta, ll = rout.unnamed(R_HKS_NB_THETA)
    rout.assert_rel(fit.extra_["theta"], theta)
    rout.assert_rel(fit.log_likelihood_, ll)
    # MASS::theta.ml stops when its Newton step is below eps^0.25 = 1.2e-4 and reports SE.theta
    # at the iterate before the last step, so its SE.theta is accurate to about 1e-3 only.
    rout.assert_rel(fit.extra_["se_theta"], se_theta, rtol=2e-3)


def test_hks_negbin_full_model(hks, rout) -> None:
    f = ("osvAll ~ troopLag + policeLag + militaryobserversLag + brv_AllLag + osvAllLagDum + incomp + "
         "epduration + lntpop")
    fit = negbin(f, hks, cluster="conflict_id")
    _check(fit, R_HKS_FULL_COEF, R_HKS_FULL_SE, rout, model_se=True)
    _check(fit, R_HKS_FULL_COEF, R_HKS_FULL_HC1, rout)
    theta, se_theta, ll = rout.unnamed(R_HKS_FULL_THETA)
    rout.assert_rel(fit.extra_["theta"], theta)
    rout.assert_rel(fit.log_likelihood_, ll)
    rout.assert_rel(fit.extra_["se_theta"], se_theta, rtol=2e-3)
