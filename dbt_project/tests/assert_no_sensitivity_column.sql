{{ config(meta={'dagster': {'ref': {'name': 'interaction_steps'}}}) }}
-- depends_on: {{ ref('interaction_steps') }}
-- depends_on: {{ ref('assistant_turns') }}
-- depends_on: {{ ref('daily_app_usage') }}
-- Policy rule 8: the data-sensitivity level never leaves the private zone.
select table_schema, table_name, column_name
from information_schema.columns
where table_catalog = 'private'
  and table_schema in ('training', 'analytics')
  and (lower(column_name) like '%dss%' or lower(column_name) like '%sensitivity%')
