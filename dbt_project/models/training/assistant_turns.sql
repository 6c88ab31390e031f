-- One row per assistant turn: redacted text only, numbered placeholders per conversation.
select
    partition_date,
    conversation,
    row_number() over (partition by conversation order by ts, event_type desc) as turn,
    case event_type when 'assistant_prompt' then 'user' else 'assistant' end as role,
    text_redacted as text,
    app,
    model,
    actor,
    ts
from {{ ref('stg_events') }}
where event_type in ('assistant_prompt', 'assistant_response')
