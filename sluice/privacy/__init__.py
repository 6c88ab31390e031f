"""Stage 5, the privacy transforms: the policy's rules (`sluice/policy/`) and the redaction engine
(`sluice/redaction/`) applied to a day's valid events."""
