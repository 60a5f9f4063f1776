"""The words of the compliance and administrator pages' templates, marked for the catalogs
(:data:`gateway.web.texts.TEMPLATE_MESSAGES` takes them in)."""

from __future__ import annotations

from typing import Final

from gateway.i18n import N_

PAGE_MESSAGES: Final = (
    N_("Partners"),
    N_(
        "Partners are added, revoked and given certificates with the euregate partner and "
        "cert commands; here you see their state and can suspend one for a while."
    ),
    N_("Suspend {id}"),
    N_("Let {id} work again"),
    N_("State"),
    N_("Country"),
    N_("Kind of agency"),
    N_("Languages"),
    N_("Webhook"),
    N_("{state}: {count}"),
    N_("last error: {error}"),
    N_("no pushes yet"),
    N_("none: the partner fetches its inbox"),
    N_("Client certificates"),
    N_("Fingerprint (SHA-256)"),
    N_("Valid from"),
    N_("Valid until"),
    N_("Encryption keys"),
    N_("Key"),
    N_("Suite"),
    N_("Sharing policy"),
    N_("In force (SHA-256)"),
    N_("History"),
    N_("Every version that was ever in force, newest first"),
    N_("SHA-256"),
    N_("First loaded"),
    N_("in force"),
    N_("The policy in force"),
    N_("Staff accounts"),
    N_("Everyone who may sign in to the staff pages"),
    N_("Name"),
    N_("Role"),
    N_("Desk"),
    N_("Actions"),
    N_("{address} until {moment}"),
    N_("{count} failed sign-in(s), no block"),
    N_("no failed sign-ins"),
    N_("Lift the sign-in blocks"),
    N_("Failed sign-ins"),
    N_("Disable"),
    N_("Enable"),
    N_(
        "A country (NL, BE, DE), partner ids separated by commas, or * for every desk "
        "(not for liaison officers)"
    ),
    N_("Audit chain"),
    N_(
        "Every entry of the audit log holds the hash of the one before it; a verification"
        " walks the whole chain and finds the first entry that was changed, removed or "
        "reordered."
    ),
    N_("Entries in the chain"),
    N_("last on {moment}"),
    N_("Last verification"),
    N_("intact up to entry {seq}"),
    N_("broken at entry {seq}: {reason}"),
    N_("{moment}, by {actor}"),
    N_("never verified"),
    N_("Since then"),
    N_("{count} newer entries not yet verified"),
    N_("A verification is running: follow its progress"),
    N_("Verify the chain now"),
    N_("Charts"),
    N_("The last {days} days; each chart has its figures in a table below it."),
    N_("Median review time: {duration}"),
    N_("The figures as a table"),
    N_("Nothing to show for this period."),
    N_("Exchange {id}"),
    N_("Back to the audit search"),
    N_("Sender's reference"),
    N_("Received"),
    N_("Category"),
    N_("Handling code"),
    N_("SHA-256 of the signal"),
    N_("Audit entry at intake"),
    N_("Decided per recipient"),
    N_("What the sharing rules decided for each recipient, and why"),
    N_("Outcome"),
    N_("Rules and legal basis"),
    N_("Policy (SHA-256)"),
    N_("What happened, in the order of the audit log"),
    N_("for {recipient}"),
    N_("by {actor}"),
    N_("Data-subject lookup"),
    N_(
        "Find the signals that mention a person, for a request of that person. The "
        "gateway compares keyed hashes; neither the database nor the audit log keeps what"
        " you enter, but the lookup itself is recorded in the audit log."
    ),
    N_("By national or document number"),
    N_("Number"),
    N_("Look up the number"),
    N_("By family name and date of birth"),
    N_("Family name"),
    N_("Date of birth"),
    N_("YYYY-MM-DD, or the year alone (YYYY)"),
    N_("Look up the name"),
    N_("Signals found"),
    N_("Signals that mention the person, newest first"),
    N_("Signal"),
    N_("Match"),
    N_("certain"),
    N_("possible (year of birth only)"),
    N_("No signal mentions this person."),
    N_("Audit search"),
    N_(
        "Each row is one exchange: a signal to one recipient, with what the sharing rules"
        " decided. Leave a field empty to search on everything."
    ),
    N_("Search the exchanges"),
    N_("Partner (sender or recipient)"),
    N_("any"),
    N_("From country"),
    N_("To country"),
    N_("Received from (date)"),
    N_("Received until (date, inclusive)"),
    N_("Event"),
    N_("Dates are days in the time zone {zone}."),
    N_("Search"),
    N_("Clear the filters"),
    N_("Results"),
    N_("Exchanges {first} to {last} of {total}"),
    N_("Exchanges found, newest first"),
    N_("Rules"),
    N_("Exchange"),
    N_("Details"),
    N_("of the signal {id}"),
    N_("Pages of results"),
    N_("Previous page"),
    N_("Page {page} of {pages}"),
    N_("Next page"),
    N_("Export every exchange of this search ({total}), with a manifest signed by the gateway"),
    N_("Export as {format}"),
    N_("No exchange matches this search."),
    N_("Verifying the audit chain"),
    N_("Entries checked"),
    N_("The verification could not be completed; try again."),
    N_("The chain is intact: {count} entries checked, up to entry {seq}."),
    N_("The chain is broken at entry {seq}: {reason}"),
    N_("{checked} of {total} entries checked; this page updates itself."),
    N_("Back to the audit chain"),
    N_("Account"),
    N_(
        "Add this secret to your authenticator app now: scan the line below it as a QR "
        "code, or type the secret. It is shown only now, and to nobody else."
    ),
    N_(
        "Adding an account, resetting its password and second factor, or giving it "
        "another role or desk needs a second person: you propose it here, and a second "
        "administrator (for compliance staff: a compliance officer) approves it. The "
        "holder then enrols with the two halves of an enrolment code, chooses a "
        "password and gets the second factor; no administrator sees either."
    ),
    N_("Approvals"),
    N_("Approve"),
    N_("Approved: {id} may enrol with both halves of the enrolment code."),
    N_("Approved: {id} now has the role {role}, desk {desk}; every session of the account ended."),
    N_("Decide on the approvals page"),
    N_("Decision"),
    N_("Each is decided on the approvals page by someone other than its proposer"),
    N_("Enrol"),
    N_("First half of the enrolment code (from the person who proposed your account)"),
    N_("First sign-in with an enrolment code? Enrol here."),
    N_(
        "Give this first half of the enrolment code to {name} in person. It is shown "
        "only now; the approver gets the second half."
    ),
    N_(
        "Give this second half of the enrolment code to {name} in person. It is shown "
        "only now; the proposer gave the first half."
    ),
    N_(
        "Here you decide what another person proposed for a staff account. You cannot "
        "decide your own proposals, nor one about your own account."
    ),
    N_("It takes effect when {who} approves it on the approvals page."),
    N_("No proposal waits for a decision."),
    N_("Proposal"),
    N_("Proposal for {id} recorded: {kind}"),
    N_("Proposals waiting for a decision"),
    N_("Propose a new account"),
    N_("Propose a new password and second factor"),
    N_("Propose a new role or desk"),
    N_("Propose the account"),
    N_("Propose the change"),
    N_("Proposed"),
    N_("Proposed by"),
    N_("Refuse"),
    N_("Refused: nothing changes for {id}."),
    N_("Second half (from the person who approved it)"),
    N_("The password again"),
    N_("Then sign in with your login name, your new password and a code from the app."),
    N_(
        "Your account was proposed by one person and approved by another; each gave you "
        "half of your enrolment code. With both halves you choose your password here "
        "and receive your second factor."
    ),
    N_("Your new password"),
    N_("{name} enrols at the staff pages' enrolment page before {moment}; the code works once."),
)
