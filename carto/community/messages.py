"""The French text of every mail the service sends (plain text, no markup to escape)."""
from carto.storage.models import Contribution, ContributionKind, ContributionStatus

SIGNATURE = "\n-- \nCarto ESS Bretagne — l'économie sociale et solidaire près de chez vous\n"
_WHAT = {ContributionKind.new_site: "votre proposition de nouveau site",
         ContributionKind.change: "votre proposition de modification",
         ContributionKind.report: "votre signalement"}


def _hello(c: Contribution) -> str:
    return f"Bonjour {c.contributor_name}," if c.contributor_name else "Bonjour,"


# Acknowledgements: one fixed subject per kind (« proposition » is feminine, « signalement »
# masculine). Nothing a visitor typed goes into a subject, and the body greets no one by name: anyone
# may type any address into a form (see the README, « Contributions and their mails »).
_RECEIVED = {ContributionKind.new_site: ("votre proposition de nouveau site est bien reçue", "Elle sera examinée"),
             ContributionKind.change: ("votre proposition de modification est bien reçue", "Elle sera examinée"),
             ContributionKind.report: ("votre signalement est bien reçu", "Il sera examiné")}
ACKNOWLEDGED_NAME_LENGTH = 80


def received(c: Contribution, site_name: str, follow_url: str) -> tuple[str, str]:
    what, examined = _RECEIVED[c.kind]
    name = site_name if len(site_name) <= ACKNOWLEDGED_NAME_LENGTH else site_name[:ACKNOWLEDGED_NAME_LENGTH - 1] + "…"
    body = (f"Bonjour,\n\nMerci ! Nous avons bien reçu {_WHAT[c.kind]} pour « {name} ».\n"
            f"{examined} par l'équipe de modération.\n\n"
            f"Suivre son avancement (lien personnel, ne le partagez pas) :\n{follow_url}\n\n"
            "Vous n'avez rien envoyé ? Quelqu'un a saisi votre adresse dans un formulaire de Carto ESS : "
            "ignorez ce message.\n"
            f"{SIGNATURE}")
    return f"Carto ESS : {what}", body


# The outcome in a subject line, agreeing with the kind of proposal.
_SUBJECT_OUTCOME = {
    ContributionStatus.accepted: "acceptée", ContributionStatus.refused: "non retenue",
    ContributionStatus.merged: "fusionnée avec une fiche existante", ContributionStatus.archived: "fiche archivée",
    ContributionStatus.corrected: "fiche corrigée", ContributionStatus.dismissed: "classé sans suite",
}


def decided(c: Contribution, site_name: str, site_url: str | None, kept: list[str] = (),
            not_kept: list[str] = ()) -> tuple[str, str]:
    """The decision on a proposal; ``kept`` / ``not_kept``: the fields of a change applied, and those
    left as they were because the sheet had changed meanwhile."""
    outcome = {
        ContributionStatus.accepted: "a été acceptée et publiée",
        ContributionStatus.refused: "n'a pas été retenue",
        ContributionStatus.merged: "a été fusionnée avec une fiche existante",
        ContributionStatus.archived: "a été pris en compte : la fiche est archivée",
        ContributionStatus.corrected: "a été pris en compte : la fiche a été corrigée",
        ContributionStatus.dismissed: "a été examiné et classé sans suite",
    }[c.status]
    if not_kept:
        outcome = "a été acceptée en partie" if kept else "n'a pas été retenue : la fiche avait changé entre-temps"
    lines = [_hello(c), "", f"{_WHAT[c.kind].capitalize()} pour « {site_name} » {outcome}."]
    if not_kept:
        if kept:
            lines += ["", f"Appliqué : {', '.join(kept)}."]
        lines += ["", f"Non retenu, car la fiche avait été modifiée entre-temps : {', '.join(not_kept)}."]
    if c.decision_reason:
        lines += ["", "Message de l'équipe de modération :", c.decision_reason]
    if site_url:
        lines += ["", f"La fiche : {site_url}"]
    lines += ["", "Merci pour votre contribution.", SIGNATURE]
    subject_outcome = ("acceptée en partie" if kept else "non retenue") if not_kept else _SUBJECT_OUTCOME[c.status]
    return f"Carto ESS : {_WHAT[c.kind]} « {site_name} » — {subject_outcome}", "\n".join(lines)


def digest(name: str, lines: list[tuple[str, str]], total: int, stale: int, console_url: str) -> tuple[str, str]:
    """``lines``: (text, link) of each new item (maybe the first ones of ``total``); ``stale``: sites of
    the scope unverified for a year, mentioned apart (they are not new)."""
    new = f"{total} nouveaux éléments" if total > 1 else "1 nouvel élément"
    body = [f"Bonjour {name},", "", f"Depuis votre dernier résumé, {new} dans votre périmètre de modération :", ""]
    for text, link in lines:
        body += [f"  - {text}", f"    {link}"]
    if total > len(lines):
        body += [f"  … et {total - len(lines)} de plus, dans la console."]
    if stale:
        sheets = f"{stale} fiches de votre périmètre ne sont pas vérifiées" if stale > 1 else \
            "1 fiche de votre périmètre n'est pas vérifiée"
        body += ["", f"Par ailleurs, {sheets} depuis plus de 12 mois (file « À vérifier »)."]
    body += ["", f"La console de modération : {console_url}", SIGNATURE]
    return f"Carto ESS : {new} à modérer", "\n".join(body)


def owner_link(site_name: str, url: str, days: int) -> tuple[str, str]:
    body = ["Bonjour,", "",
            f"Quelqu'un a demandé, depuis la fiche « {site_name} » de Carto ESS Bretagne, un lien pour la mettre à "
            "jour. Il est envoyé à l'adresse e-mail publique de la fiche : si vous gérez cette structure, ce lien "
            "vous permet de proposer vos modifications ; elles arriveront marquées « propriétaire vérifié ».", "",
            f"Lien personnel, utilisable une fois pendant {days} jours (ne le transférez pas) :", url, "",
            "Si vous n'êtes pas à l'origine de cette demande, ignorez ce message : rien ne change sans ce lien.",
            SIGNATURE]
    return f"Carto ESS : mettre à jour la fiche « {site_name} »", "\n".join(body)


def freshness(sheets: list[tuple[str, str, str]], reminder: bool, unsubscribe_url: str) -> tuple[str, str]:
    """``sheets``: (name, commune, link) of each sheet asked about."""
    one = len(sheets) == 1
    state = ("la fiche de votre structure sur Carto ESS Bretagne n'a pas été vérifiée depuis plus d'un an." if one
             else f"les {len(sheets)} fiches de votre structure sur Carto ESS Bretagne n'ont pas été vérifiées "
                  "depuis plus d'un an.")
    body = ["Bonjour,", "", f"Rappel : {state}" if reminder else state[0].upper() + state[1:],
            "Un clic suffit pour confirmer qu'elle est toujours exacte, ou pour la corriger :" if one else
            "Un clic suffit, pour chacune, pour confirmer qu'elle est toujours exacte ou pour la corriger :", ""]
    for name, commune, link in sheets:
        body += [f"  - « {name} »" + (f" ({commune})" if commune else ""), f"    {link}"]
    body += ["", "Sans réponse, l'équipe de modération vérifiera elle-même la fiche.", "",
             f"Ne plus recevoir ces e-mails : {unsubscribe_url}", SIGNATURE]
    what = "votre fiche est-elle toujours exacte ?" if one else "vos fiches sont-elles toujours exactes ?"
    return f"Carto ESS : {'rappel — ' if reminder else ''}{what}", "\n".join(body)
