"""English of every French text the reports print, keyed by the French (see reports.i18n).

The words the web pages also use (statuses, "Commune" -> "Municipality", "Due on"…) are the
same as in webmap/i18n.py; a test checks that both dictionaries agree on shared keys.
"""

EN: dict[str, str] = {
    # Statuses and labels shared with the web pages (rollout.compliance.STATUS_LABELS_FR).
    "atteint": "met",
    "atteint en retard": "met late",
    "manqué": "missed",
    "à risque": "at risk",
    "en bonne voie": "on track",
    "données insuffisantes": "insufficient data",
    "sans jalon suivi": "no tracked milestone",
    "Commune": "Municipality",
    "Communes": "Municipalities",
    "Opérateur": "Operator",
    "Population": "Population",
    "Locaux": "Premises",
    "Statut": "Status",
    "Retard (jours)": "Delay (days)",
    "Échéance": "Due on",
    "Cible": "Target",
    "Valeur à l'échéance": "Value at due date",
    "Indicateur": "Indicator",
    "Lot": "Batch",
    "Type": "Kind",
    "Fichier": "File",
    "Lignes lues": "Rows read",
    "Colonne": "Column",
    "Valeur": "Value",
    "Motif": "Reason",
    "Sites": "Sites",
    "Sites 5G en service": "5G sites in service",
    "Travaux": "Works",
    "Retard le plus long (jours)": "Longest delay (days)",
    "Méthode": "Method",
    "Début": "Start",
    "Fin": "End",
    "Maître d'ouvrage": "Owner",
    "Identifiant": "Identifier",
    "Rapport de retard": "Delay report",
    "non": "no",
    # Metrics (rollout.compliance.METRIC_LABELS_FR and the sheet's short forms).
    "taux de locaux raccordables": "share of connectable premises",
    "taux de locaux raccordables ou raccordables à la demande":
        "share of premises connectable or connectable on demand",
    "nombre de locaux raccordables": "number of connectable premises",
    "nombre de sites 5G en service": "number of 5G sites in service",
    "taux de locaux couverts en 5G": "share of premises covered by 5G",
    "fibre : locaux raccordables": "fibre: connectable premises",
    "fibre : raccordables ou à la demande": "fibre: connectable or on demand",
    "fibre : nombre de locaux raccordables": "fibre: number of connectable premises",
    "5G : sites en service": "5G: sites in service",
    "5G : locaux couverts": "5G: premises covered",
    # Series, denominator methods and reasons (reports.common).
    "série propre de l'opérateur": "operator's own series",
    "série tous opérateurs (aucune série propre de l'opérateur)":
        "all-operator series (no own series for the operator)",
    "mixte : série propre dans certaines communes, tous opérateurs ailleurs":
        "mixed: own series in some municipalities, all operators elsewhere",
    "INSEE : logements + établissements": "INSEE: dwellings + establishments",
    "ARCEP : meilleure estimation des locaux": "ARCEP: best estimate of premises",
    "IPE de l'opérateur (somme des locaux)": "operator's IPE (sum of premises)",
    "modèle de couverture 5G": "5G coverage model",
    "mixte selon les communes": "mixed across municipalities",
    "aucun site radio chargé": "no radio site loaded",
    "aucune couverture 5G calculée": "no 5G coverage computed",
    "périmètre vide": "empty perimeter",
    "une commune du périmètre n'a aucune observation":
        "a municipality of the perimeter has no observation",
    "aucune observation pour cette commune": "no observation for this municipality",
    "aucune observation à l'échéance ou avant": "no observation on or before the due date",
    "nombre de locaux inconnu": "number of premises unknown",
    "locaux raccordables à la demande (RAD) non publiés":
        "premises connectable on demand (RAD) not published",
    "cible atteinte mais plafond RAD invérifiable (RAD non publié)":
        "target reached but RAD cap unverifiable (RAD not published)",
    "moins de 2 observations": "fewer than 2 observations",
    "part de RAD au-dessus du plafond": "RAD share above the cap",
    "tendance stable ou en baisse": "flat or decreasing trend",
    "date projetée postérieure à l'échéance": "projected date after the due date",
    # Evidence chain and dates common to every report.
    "OUI — DONNÉES SYNTHÉTIQUES": "YES — SYNTHETIC DATA",
    " : {files}": ": {files}",
    "ATTENTION : {fake} des {total} fichiers sources cités sont des DONNÉES SYNTHÉTIQUES "
    "(démonstration), pas des données réelles{files}. Les chiffres qui en dépendent ne peuvent "
    "servir de preuve.":
        "WARNING: {fake} of the {total} source files cited are SYNTHETIC DATA (demonstration), "
        "not real data{files}. The figures that depend on them cannot be used as evidence.",
    "Fichiers sources (lots d'import)": "Source files (import batches)",
    "Empreinte sha256": "sha256 fingerprint",
    "Importé le (UTC)": "Imported at (UTC)",
    "Lignes chargées": "Rows loaded",
    "Synthétique": "Synthetic",
    "Le sha256 identifie le fichier exact importé : tout fichier produit à l'appui doit avoir "
    "la même empreinte.":
        "The sha256 identifies the exact file imported: any file produced in support must have "
        "the same fingerprint.",
    "Situation au": "As of",
    "Données connues au (seuls les lots importés ce jour ou avant comptent)":
        "Data known at (only batches imported on or before that day count)",
    "Date d'établissement": "Date of issue",
    "Identifiant du rapport": "Report identifier",
    "Sources": "Sources",
    # Method annex (reports.common.METHOD_TEXTS): a faithful translation, rule by rule.
    "Annexe : méthode": "Annex: method",
    "Définitions et règles de calcul (moteur d'évaluation rollout.assessment) :":
        "Definitions and calculation rules (assessment engine rollout.assessment):",
    "Série : un jalon d'un opérateur est évalué sur la série propre de cet opérateur dans la "
    "commune lorsqu'elle existe (au moins une ligne), sinon sur la série tous opérateurs ; la "
    "colonne « série » indique laquelle. Deux observations d'une même série le même jour : la "
    "plus récemment importée est retenue.":
        "Series: an operator's milestone is assessed on that operator's own series in the "
        "municipality when one exists (at least one row), otherwise on the all-operator series; "
        "the “series” column says which. Two observations of the same series on the same day: "
        "the most recently imported one is kept.",
    "Taux = locaux raccordables (+ raccordables à la demande, RAD, pour l'indicateur qui les "
    "inclut) / locaux. Le dénominateur est le dernier décompte de locaux daté au plus tard du "
    "jour de l'observation, à défaut le plus ancien connu ; deux décomptes du même jour : la "
    "meilleure estimation ARCEP, puis INSEE (logements + établissements), puis IPE, puis les "
    "autres méthodes par ordre alphabétique, et pour une même méthode le plus récemment "
    "importé — le même choix pour la carte, les fiches communales et les rapports. Un RAD "
    "inconnu rend cet indicateur inconnu ; un nombre de locaux inconnu rend tout taux inconnu. "
    "Un taux supérieur à 100 % est conservé et signalé.":
        "Share = connectable premises (+ premises connectable on demand, RAD, for the indicator "
        "that includes them) / premises. The denominator is the latest premises count dated no "
        "later than the day of the observation, failing that the earliest known; two counts on "
        "the same day: the ARCEP best estimate, then INSEE (dwellings + establishments), then "
        "IPE, then the other methods in alphabetical order, and for the same method the most "
        "recently imported — the same choice for the map, the municipality sheets and the "
        "reports. An unknown RAD makes that indicator unknown; an unknown number of premises "
        "makes every share unknown. A share above 100% is kept and flagged.",
    "Périmètre : à chaque date où une commune du périmètre a été observée, chaque commune "
    "apporte sa dernière observation à cette date, et numérateurs et dénominateurs sont "
    "additionnés (le critère juridique porte sur tout le périmètre ; les taux communaux sont des "
    "indicateurs). Une date ne compte que lorsque toutes les communes ont une observation.":
        "Perimeter: at each date on which a municipality of the perimeter was observed, each "
        "municipality contributes its latest observation at that date, and numerators and "
        "denominators are summed (the legal test applies to the whole perimeter; "
        "per-municipality shares are indicators). A date counts only when every municipality "
        "has an observation.",
    "Échéance passée (échéance ≤ date de situation) : la valeur à l'échéance est la dernière "
    "observation au plus tard à l'échéance. Jalon « atteint » si elle atteint la cible (et si la "
    "part de RAD respecte le plafond éventuel) ; sinon la première observation ultérieure qui "
    "l'atteint donne « atteint en retard », le retard étant sa date moins l'échéance ; sinon "
    "« manqué », le retard étant la date de situation moins l'échéance (il court encore).":
        "Past due date (due date ≤ as-of date): the value at the due date is the latest "
        "observation on or before the due date. Milestone “met” if that value reaches the "
        "target (and if the RAD share respects the cap, where there is one); otherwise the "
        "first later observation that reaches it gives “met late”, the delay being its date "
        "minus the due date; otherwise “missed”, the delay being the as-of date minus the due "
        "date (it is still running).",
    "Résolution trimestrielle : les données ARCEP sont trimestrielles. Un retard « atteint en "
    "retard » est donc une borne supérieure : la cible a été atteinte à un moment entre "
    "l'observation précédente et celle qui la constate.":
        "Quarterly resolution: ARCEP data are quarterly. A “met late” delay is therefore an "
        "upper bound: the target was reached at some point between the previous observation "
        "and the one that records it.",
    "Locaux manquants = plus petit nombre entier de locaux atteignant la cible (cible × locaux, "
    "arrondi au supérieur) moins les locaux atteints, à la dernière observation au plus tard à "
    "la date de situation ; jamais négatif, 0 si le jalon est atteint.":
        "Shortfall (premises) = the smallest whole number of premises that reaches the target "
        "(target × premises, rounded up) minus the premises achieved, at the latest observation "
        "on or before the as-of date; never negative, 0 if the milestone is met.",
    "Échéance future : si la cible est déjà atteinte, « en bonne voie » ; sinon une droite des "
    "moindres carrés sur les 4 dernières observations donne la date projetée ; « à risque » si "
    "cette date est postérieure à l'échéance ou si la tendance est stable ou en baisse.":
        "Future due date: if the target is already reached, “on track”; otherwise a "
        "least-squares line over the last 4 observations gives the projected date; “at risk” "
        "if that date is after the due date or if the trend is flat or decreasing.",
    "Moins de 2 observations, ou aucune observation à l'échéance : « données insuffisantes » ; "
    "le calcul ne devine jamais. Sites 5G : dates de mise en service exactes (au jour).":
        "Fewer than 2 observations, or no observation by the due date: “insufficient data”; "
        "the calculation never guesses. 5G sites: exact in-service dates (to the day).",
    "Statut d'une commune sur la carte : son jalon le plus défavorable (manqué, à risque, "
    "atteint en retard, données insuffisantes, en bonne voie, atteint) et son plus long retard.":
        "A municipality's status on the map: its least favourable milestone (missed, at risk, "
        "met late, insufficient data, on track, met) and its longest delay.",
    "Dénominateurs": "Denominators",
    "Dénominateurs utilisés (millésime et méthode)": "Denominators used (vintage and method)",
    "Millésime": "Vintage",
    "Lignes évaluées": "Rows assessed",
    "Série : {label}": "Series: {label}",
    "Lignes avec RAD publié (plafond vérifiable)": "Rows with published RAD (cap verifiable)",
    "Lignes avec RAD inconnu": "Rows with unknown RAD",
    "Séries": "Series",
    # CSV glossary (reports.csv_columns): the column names themselves stay as they are.
    "Colonnes CSV": "CSV columns",
    "Colonnes du fichier CSV (une ligne par jalon × commune)":
        "Columns of the CSV file (one row per milestone × municipality)",
    "Signification": "Meaning",
    "Jalon x commune": "Milestone x municipality",
    "Une ligne par jalon × commune": "One row per milestone × municipality",
    "numéro du jalon": "milestone number",
    "identifiant de l'engagement": "agreement identifier",
    "code ARCEP de l'opérateur": "operator's ARCEP code",
    "perimeter : ligne du jalon de périmètre (critère juridique) ; perimeter_commune : "
    "indicateur communal d'un jalon de périmètre ; commune : jalon propre à la commune":
        "perimeter: row of the perimeter milestone (legal test); perimeter_commune: "
        "per-municipality indicator of a perimeter milestone; commune: the municipality's own "
        "milestone",
    "code INSEE de la commune (vide pour la ligne périmètre)":
        "INSEE code of the municipality (empty for the perimeter row)",
    "nom de la commune": "name of the municipality",
    "indicateur (ftth_connectable_share, ftth_connectable_or_rad_share, …)":
        "indicator (ftth_connectable_share, ftth_connectable_or_rad_share, …)",
    "cible : part entre 0 et 1, ou nombre": "target: share between 0 and 1, or count",
    "plafond de part de RAD (vide : aucun)": "cap on the RAD share (empty: none)",
    "échéance (AAAA-MM-JJ)": "due date (YYYY-MM-DD)",
    "date de situation": "as-of date",
    "met, met_late, missed, at_risk, on_track, no_data":
        "met, met_late, missed, at_risk, on_track, no_data",
    "statut en français": "status in French",
    "motif du statut données insuffisantes ou à risque":
        "reason for an insufficient data or at risk status",
    "valeur à la dernière observation au plus tard à l'échéance":
        "value at the latest observation on or before the due date",
    "date de cette observation": "date of that observation",
    "valeur à la dernière observation au plus tard à la situation":
        "value at the latest observation on or before the as-of date",
    "retard en jours (en cours si missed)": "delay in days (still running if missed)",
    "true : le retard est une borne supérieure (trimestriel)":
        "true: the delay is an upper bound (quarterly data)",
    "locaux manquants à la dernière observation": "premises short at the latest observation",
    "date projetée par la tendance (échéance future)":
        "date projected by the trend (future due date)",
    "operator : série de l'opérateur ; all_operators : tous opérateurs":
        "operator: the operator's series; all_operators: all operators",
    "locaux au dénominateur": "premises in the denominator",
    "millésime du dénominateur": "vintage of the denominator",
    "insee, best_estimate (ARCEP) ou ipe": "insee, best_estimate (ARCEP) or ipe",
    "part de locaux raccordables à la demande (vide : inconnue)":
        "share of premises connectable on demand (empty: unknown)",
    "true : plafond de RAD dépassé": "true: RAD cap exceeded",
    "true : taux supérieur à 100 % (dénominateur sous-estimé)":
        "true: share above 100% (denominator underestimated)",
    "fichier des engagements d'où vient le jalon": "commitments file the milestone comes from",
    "ligne du jalon dans ce fichier": "row of the milestone in that file",
    "lot de la valeur à l'échéance": "batch of the value at the due date",
    "lot de la dernière valeur": "batch of the latest value",
    "lot de l'observation atteignant la cible": "batch of the observation reaching the target",
    "lot du dénominateur": "batch of the denominator",
    "true : au moins un lot cité est synthétique": "true: at least one cited batch is synthetic",
    # Operator-delay report (reports.operator_delay).
    "Rapport de retard — {operator} ({code})": "Delay report — {operator} ({code})",
    "Engagements de déploiement FttH : situation au {day}":
        "FttH rollout commitments: status as of {day}",
    "Couverture": "Cover",
    "Engagements": "Agreements",
    "Engagements de l'opérateur": "Operator's agreements",
    "Intitulé": "Name",
    "Signé le": "Signed on",
    "Acte source": "Source document",
    "Jalons": "Milestones",
    "Synthèse": "Summary",
    "Jalons évalués": "Milestones assessed",
    "Jalons au statut « {label} »": "Milestones with status “{label}”",
    "Locaux manquants, somme des jalons manqués": "Shortfall (premises), sum of missed milestones",
    "Jalon au retard le plus long": "Milestone with the longest delay",
    "n° {id} ({agreement}, {scope}, échéance {due})": "no. {id} ({agreement}, {scope}, due {due})",
    "Communes concernées (jalon manqué ou atteint en retard)":
        "Municipalities concerned (milestone missed or met late)",
    "Exposition indicative, minimum (1 500 € par local)":
        "Indicative exposure, minimum (€1,500 per premises)",
    "Exposition indicative, maximum (5 000 € par local)":
        "Indicative exposure, maximum (€5,000 per premises)",
    "Exposition INDICATIVE, pas un montant de sanction : l'article L. 36-11 du code des postes "
    "et des communications électroniques plafonne la sanction à 1 500 € par logement, 5 000 € "
    "par local à usage professionnel, 450 000 € par zone arrière de point de mutualisation "
    "incomplète, ou 3 % du chiffre d'affaires. La répartition logements / locaux professionnels "
    "des locaux manquants n'est pas connue : la fourchette va de tous logements à tous locaux "
    "professionnels. Les plafonds par zone de point de mutualisation et en chiffre d'affaires ne "
    "sont pas calculés (données non chargées). Un même local peut manquer à plusieurs jalons : "
    "la somme peut compter plusieurs fois les mêmes locaux.":
        "INDICATIVE exposure, not a penalty amount: Article L. 36-11 of the French Postal and "
        "Electronic Communications Code (code des postes et des communications électroniques) "
        "caps the penalty at €1,500 per dwelling, €5,000 per business premises, €450,000 per "
        "incomplete catchment area of a shared access point (zone arrière de point de "
        "mutualisation), or 3% of turnover. How the missing premises split between dwellings "
        "and business premises is not known: the range goes from all dwellings to all business "
        "premises. The caps per shared access point area and on turnover are not computed (data "
        "not loaded). The same premises may be missing for several milestones: the sum may "
        "count the same premises more than once.",
    "Communes concernées": "Municipalities concerned",
    "Statut le plus défavorable": "Least favourable status",
    "Plus long retard (j)": "Longest delay (d)",
    "ensemble du périmètre ({n} communes)": "whole perimeter ({n} municipalities)",
    "retard en cours : jalon toujours manqué au {day}":
        "delay still running: milestone still missed on {day}",
    "borne supérieure : cible atteinte entre deux observations trimestrielles":
        "upper bound: target reached between two quarterly observations",
    "exact": "exact",
    "indicatif : de {low} à {high}": "indicative: from {low} to {high}",
    "Engagement": "Agreement",
    "Portée": "Scope",
    "Observée le": "Observed on",
    "Nature du retard": "Nature of the delay",
    "Locaux manquants": "Shortfall (premises)",
    "Valeur au {day} (dernière observation)": "Value on {day} (latest observation)",
    "Dernière observation le": "Latest observation on",
    "Dénominateur (locaux)": "Denominator (premises)",
    "Millésime du dénominateur": "Denominator vintage",
    "Méthode du dénominateur": "Denominator method",
    "Série utilisée": "Series used",
    "Plafond de RAD": "RAD cap",
    "Part de RAD": "RAD share",
    "Plafond de RAD dépassé": "RAD cap exceeded",
    "Locaux RAD au-delà du plafond": "RAD premises above the cap",
    "Communes atteignant la cible": "Municipalities reaching the target",
    "{met} sur {total}": "{met} of {total}",
    "Date projetée": "Projected date",
    "Exposition (plafonds L. 36-11)": "Exposure (L. 36-11 caps)",
    "Taux supérieur à 100 %": "Share above 100%",
    "oui : décompte de locaux sous-estimé": "yes: premises count underestimated",
    "Jalon {id}": "Milestone {id}",
    "Jalon": "Milestone",
    "Borne sup.": "Upper bound",
    "Valeur actuelle": "Current value",
    "J{id} par commune": "M{id} by municipality",
    "Détail par commune (indicateurs ; le critère porte sur le périmètre)":
        "Breakdown by municipality (indicators; the legal test applies to the perimeter)",
    "Jalon {id} — {agreement}, échéance {due}": "Milestone {id} — {agreement}, due {due}",
    "un jalon par commune ({n} communes)": "one milestone per municipality ({n} municipalities)",
    "Locaux manquants (jalons manqués)": "Shortfall (premises, missed milestones)",
    "Jalons {first}-{last}": "Milestones {first}-{last}",
    "Jalons {first} à {last} — {agreement}, échéance {due}":
        "Milestones {first} to {last} — {agreement}, due {due}",
    "J{first}-{last} communes": "M{first}-{last} municipalities",
    "Un jalon par commune": "One milestone per municipality",
    "Périmètre {agreement}": "Perimeter {agreement}",
    "{where} — jalon {id}": "{where} — milestone {id}",
    "Cible engagée (losange rouge, à l'échéance) et valeurs observées (en bleu) pour le "
    "périmètre et les {n} communes aux plus grands manques ; pointillé vertical : date de "
    "situation.":
        "Committed target (red diamond, at the due date) and observed values (in blue) for the "
        "perimeter and the {n} municipalities with the largest shortfalls; vertical dotted line: "
        "as-of date.",
    "Communes selon le jalon le plus défavorable de l'opérateur (jalons de commune et "
    "indicateurs communaux des jalons de périmètre).":
        "Municipalities by the operator's least favourable milestone (municipality milestones "
        "and per-municipality indicators of perimeter milestones).",
    "Graphiques": "Charts",
    "Annexe : preuves": "Annex: evidence",
    "Chaque chiffre provient d'un lot d'import identifié par son fichier et son empreinte "
    "sha256. Le tableau suivant donne, pour chaque jalon, le lot de la valeur à l'échéance, de "
    "la dernière valeur, de l'atteinte de la cible et du dénominateur ; le fichier CSV et le "
    "classeur XLSX donnent ces lots pour chaque ligne jalon × commune.":
        "Every figure comes from an import batch identified by its file and its sha256 "
        "fingerprint. The following table gives, for each milestone, the batch of the value at "
        "the due date, of the latest value, of the reaching of the target and of the "
        "denominator; the CSV file and the XLSX workbook give these batches for each milestone "
        "× municipality row.",
    "périmètre": "perimeter",
    "{file}, ligne {row}": "{file}, row {row}",
    "Preuves par jalon": "Evidence per milestone",
    "Lots cités par jalon (numéros du tableau des sources)":
        "Batches cited per milestone (numbers from the sources table)",
    "Ligne de l'engagement": "Agreement row",
    "Lot valeur à l'échéance": "Value-at-due-date batch",
    "Lot dernière valeur": "Latest-value batch",
    "Lot atteinte": "Target-reached batch",
    "Lot dénominateur": "Denominator batch",
    # Charts (reports.charts).
    "valeur observée": "observed value",
    "cible engagée": "committed target",
    "Part de locaux raccordables à la fibre": "Share of premises connectable to fibre",
    "La commune (contour noir) dans la métropole":
        "The municipality (black outline) in the metropolitan area",
    # Commune sheet (reports.commune_sheet).
    "commune": "municipality",
    "global": "global",
    "Engagements des opérateurs et où ils en sont": "Operators' commitments and where they stand",
    "Objectif": "Objective",
    "Situation": "Status",
    "Portée « global » : engagement sur plusieurs communes, jugé sur l'ensemble ; la ligne "
    "donne la situation de la commune, à titre indicatif.":
        "Scope “global”: a commitment over several municipalities, judged on the whole; the "
        "row gives the municipality's own status, as an indication.",
    "Locaux (logements et locaux professionnels)": "Premises (dwellings and business premises)",
    "Locaux raccordables à la fibre": "Premises connectable to fibre",
    "Part de locaux raccordables": "Share of connectable premises",
    "Chiffres observés le": "Figures observed on",
    "Évolution depuis le {day}": "Change since {day}",
    "{points} points": "{points} points",
    "Situation des engagements": "Status of the commitments",
    "Plus long retard (jours)": "Longest delay (days)",
    "Chantier": "Project",
    "Travaux publics en cours ou à venir": "Public works ongoing or planned",
    "aucun chantier prévu": "no works planned",
    "Couleurs de la carte : situation la plus défavorable des engagements de chaque commune.":
        "Map colours: least favourable status of each municipality's commitments.",
    "Sources (fichiers importés) : {files}. Rapport {rid}, situation au {day}.":
        "Sources (imported files): {files}. Report {rid}, as of {day}.",
    "aucun fichier importé": "no imported file",
    "Fibre et engagements des opérateurs : situation au {day}":
        "Fibre and operators' commitments: status as of {day}",
    "En bref": "At a glance",
    # Council summary (reports.council).
    "Rang": "Rank",
    "Objectifs manqués": "Targets missed",
    "Part raccordable": "Connectable share",
    "Communes à suivre en priorité (objectif manqué ou à risque)":
        "Municipalities needing attention first (target missed or at risk)",
    "Chaque commune prend la situation de son engagement le plus en difficulté : « manqué » "
    "(échéance passée, objectif non atteint), « à risque » (échéance à venir, rythme "
    "insuffisant), « atteint en retard », « données insuffisantes », « en bonne voie », "
    "« atteint ».":
        "Each municipality takes the status of its commitment in the most difficulty: “missed” "
        "(due date passed, target not reached), “at risk” (due date to come, pace too slow), "
        "“met late”, “insufficient data”, “on track”, “met”.",
    "Situations": "Statuses",
    "Communes par situation": "Municipalities by status",
    "Priorités": "Priorities",
    "Communes à suivre en priorité": "Municipalities needing attention first",
    "Carte": "Map",
    "Situation des engagements par commune.": "Status of the commitments by municipality.",
    "Classement de toutes les communes": "Ranking of all municipalities",
    "Classement": "Ranking",
    "Toutes les communes, les plus en difficulté d'abord":
        "All municipalities, those in most difficulty first",
    "« Locaux manquants » additionne les objectifs manqués de la commune (un même local peut "
    "compter pour plusieurs objectifs). « Part raccordable » : tous opérateurs, dernière "
    "observation.":
        "“Shortfall (premises)” adds up the municipality's missed targets (the same premises "
        "may count for several targets). “Connectable share”: all operators, latest "
        "observation.",
    "Synthèse pour le conseil métropolitain": "Summary for the metropolitan council",
    "Déploiement de la fibre dans les communes : situation au {day}":
        "Fibre rollout in the municipalities: status as of {day}",
    # Renderers (footers, empty tables, XLSX summary sheet).
    "aucune ligne": "no rows",
    "Les {shown} premières lignes sur {total} sont imprimées ; toutes figurent dans la "
    "feuille « {sheet} » du classeur XLSX de ce rapport (même identifiant).":
    "The first {shown} of {total} rows are printed; all of them are in the sheet "
    "“{sheet}” of this report's XLSX workbook (same identifier).",
    "{title} — situation au {day} — rapport {rid}": "{title} — as of {day} — report {rid}",
    "page {n}": "page {n}",
    "Partie": "Part",
    "Élément": "Item",
    # Alerts and signalements on the commune sheet (issue 16), as on the web pages.
    "Signalements en cours": "Open challenges",
    "Alertes": "Alerts",
    "Échéance proche, en retard de rythme": "Due date near, behind pace",
    "Jours avant l'échéance": "Days to due date",
    "Rythme nécessaire (par trimestre)": "Pace needed (per quarter)",
    "Rythme récent (par trimestre)": "Recent pace (per quarter)",
    "Écart projeté à l'échéance": "Projected shortfall at due date",
}
