-- Analyst zone: team x app x day. Groups with fewer than k distinct employees are
-- suppressed (k from the scope manifest), so no row describes a small group.
select
    partition_date as day,
    team,
    app,
    count(distinct actor) as employees,
    count(*) as events,
    count(distinct date_trunc('minute', ts)) as active_minutes
from {{ ref('stg_events') }}
where team is not null
group by all
having count(distinct actor) >= {{ env_var('SLUICE_K_ANONYMITY', '5') }}
