"""DNS lookups and record parsing for sender verification.

`resolver` builds the recursive resolver from `DnsSettings`, `query` sends
queries to a zone's authoritative servers, and `lookup` combines both into one
cached set of lookups per check run. `tags`, `dkim_record`, `dmarc` and `spf`
parse the records that a custom sender publishes, and `txt` joins and splits
TXT character-strings.
"""
