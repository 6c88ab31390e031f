-- One row per action, for models that learn how people operate software.
-- Pseudonymous actor and session; no typed text, no raw ids, no DSS level (policy rules 3-5, 8);
-- the window title only redacted (rule 5).
with actions as (
    select *
    from {{ ref('stg_events') }}
    where event_type in ('mouse_move', 'mouse_click', 'scroll', 'key', 'window_focus')
)

select
    partition_date,
    actor,
    session,
    row_number() over (partition by session order by ts, event_type, x, y, key_class) as step,
    ts,
    cast(coalesce(epoch_ms(ts) - epoch_ms(lag(ts) over (partition by session order by ts, event_type, x, y, key_class)), 0) as bigint) as dt_ms,
    event_type as action_type,
    app,
    title_redacted as window_title,
    case when screen_w > 0 then least(greatest(x / screen_w, 0.0), 1.0) end as x_norm,
    case when screen_h > 0 then least(greatest(y / screen_h, 0.0), 1.0) end as y_norm,
    button,
    clicks,
    dx as scroll_dx,
    dy as scroll_dy,
    key_class
from actions
