"""The flow: the path of a signal after it is received, to every recipient's inbox.

intake          accept a signal: examine, decide, keep it sealed at rest, receipt
fair_pool       the workers that examine large bodies, partners taking turns
partner_limits  each partner's share: signals in progress and their rate
subjects        the keyed hashes a signal is indexed by for data-subject lookups
prepare         a recipient's copy: minimised, translated, rendered
desk            the liaison desk: the review queue, release and rejection
memory_desk     the desk's translation memory: what its officers taught it, confirmed
rejection       a rejection's reason, sealed under the master key
courier         Courier: seals each copy ready to go for its recipient, after a crash too
payload         what a recipient's envelope holds once opened (``euregate.message/1``)
inbox           Inbox: a recipient's envelopes in order, long-polled, acknowledged
pusher          Pusher: each envelope POSTed to its partner's webhook over mutual TLS
requests        requests for information and their state
deadlines       the time limits of Directive (EU) 2023/977, art. 5
lookup          the data-subject lookup of compliance staff
holds           legal holds: placed with a reason and a review date, lifted, audited
retention_state one signal's retention as the pages tell it: rule, erasure day, hold
withdrawal_state  a withdrawal per recipient: its copy's fate, its notice's steps, overdue
at_rest         sealing what an older version kept in the clear
"""
