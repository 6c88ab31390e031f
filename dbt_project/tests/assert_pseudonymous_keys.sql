{{ config(meta={'dagster': {'ref': {'name': 'interaction_steps'}}}) }}
-- Policy rule 3: people, sessions and conversations appear only as keyed pseudonyms.
{% set checks = [
    ('interaction_steps', 'actor', 'e'), ('interaction_steps', 'session', 's'),
    ('assistant_turns', 'actor', 'e'), ('assistant_turns', 'conversation', 'c'),
] %}
{% for table, column, prefix in checks %}
select '{{ table }}.{{ column }}' as location, count(*) as rows_not_pseudonymous
from {{ ref(table) }}
where not regexp_full_match({{ column }}, '{{ prefix }}_[0-9a-f]{24}')
having count(*) > 0
{% if not loop.last %}union all{% endif %}
{% endfor %}
