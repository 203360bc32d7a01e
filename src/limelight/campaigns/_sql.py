"""The fusion's set-based SQL, run in a private DuckDB over the detectors' Arrow tables.

Registered inputs (``_campaigns``, ``_members``, ``_evidence``, ``_edges``, ``_accounts``,
``_member_posts``, ``_techniques``, ``_ai_text``, ``_narratives``) are those of
``DetectorTables``; ``_scored`` is the campaign table after scoring. Three scripts run in
order: SETUP (flags and the campaign base), EVIDENCE (every evidence row), LABEL (account
and post labels).
"""

from __future__ import annotations

__all__ = ["EVIDENCE_SQL", "LABEL_SQL", "SETUP_SQL"]

SETUP_SQL = """
CREATE TEMP TABLE _flags AS
SELECT *, coalesce(bot_score >= {bot} AND (has_profile OR NOT {profile}), false) AS automated,
       bot_score IS NOT NULL AND (has_profile OR NOT {profile}) AS bot_counts
FROM _accounts;

CREATE TEMP TABLE _mflags AS
SELECT m.campaign_id, m.account_id, any_value(m.score) AS member_score,
       any_value(m.n_partners) AS n_partners, any_value(m.behaviours) AS behaviours,
       arg_max(f.platform, f.n_posts) AS platform, max(f.bot_score) AS bot_score,
       coalesce(bool_or(f.automated), false) AS automated,
       coalesce(bool_or(f.bot_counts), false) AS bot_counts,
       coalesce(bool_or(f.has_profile), false) AS has_profile,
       arg_max(f.bot_kind, f.bot_score) AS bot_kind, arg_max(f.reasons, f.bot_score) AS reasons
FROM _members m LEFT JOIN _flags f USING (account_id)
GROUP BY m.campaign_id, m.account_id;

CREATE TEMP TABLE _tech AS
SELECT * FROM _techniques WHERE score >= {content};
CREATE TEMP TABLE _ai AS
SELECT * FROM _ai_text WHERE score >= {content};
CREATE TEMP TABLE _post_signal AS
SELECT post_id, max(score) AS score FROM (
    SELECT post_id, score FROM _tech UNION ALL SELECT post_id, score FROM _ai
) GROUP BY post_id;
CREATE TEMP TABLE _scored_posts AS
SELECT DISTINCT post_id FROM (
    SELECT post_id FROM _techniques UNION ALL SELECT post_id FROM _ai_text
);

CREATE TEMP TABLE _mp AS
SELECT m.campaign_id, p.* FROM _member_posts p JOIN _members m USING (account_id);

CREATE TEMP TABLE _best AS
SELECT campaign_id, source, target, arg_max(layer, score) AS layer,
       arg_max(weight, score) AS weight, arg_max(expected, score) AS expected,
       arg_max(pvalue, score) AS pvalue, max(score) AS score
FROM _edges GROUP BY campaign_id, source, target;

CREATE TEMP TABLE _campaign_base AS
WITH ch AS (
    SELECT campaign_id, sum(weight)::DOUBLE AS observed, sum(expected) AS expected,
           count(*) AS n FROM _best GROUP BY campaign_id
), ev AS (
    SELECT campaign_id, count(*)::DOUBLE AS n_rows FROM _evidence GROUP BY campaign_id
), items AS (
    SELECT campaign_id, count(DISTINCT item) AS n_items FROM (
        SELECT campaign_id, item FROM _evidence
        UNION ALL SELECT campaign_id, unnest(top_items) FROM _campaigns
    ) GROUP BY campaign_id
), au AS (
    SELECT campaign_id,
           avg(automated::INT) FILTER (WHERE bot_counts) AS automated_share,
           avg(bot_score) AS mean_bot_score
    FROM _mflags GROUP BY campaign_id
), mp AS (
    SELECT campaign_id, count(*) AS n_posts,
           count(*) FILTER (WHERE post_id IN (SELECT post_id FROM _scored_posts)) AS n_scored,
           count(*) FILTER (WHERE post_id IN (SELECT post_id FROM _post_signal)) AS n_signal,
           count(*) FILTER (WHERE post_id IN (SELECT post_id FROM _ai_text)) AS n_ai_scored,
           count(*) FILTER (WHERE post_id IN (SELECT post_id FROM _ai)) AS n_ai
    FROM _mp GROUP BY campaign_id
), te AS (
    SELECT campaign_id, list(technique ORDER BY n DESC, technique) AS techniques FROM (
        SELECT m.campaign_id, t.technique, count(DISTINCT t.post_id) AS n
        FROM _tech t JOIN _members m USING (account_id) GROUP BY ALL
    ) GROUP BY campaign_id
), na AS (
    SELECT campaign_id, list(title ORDER BY n DESC, title)[1:5] AS narratives FROM (
        SELECT m.campaign_id, t.title, count(*) AS n
        FROM _narratives t JOIN _members m USING (account_id) GROUP BY ALL
    ) GROUP BY campaign_id
)
SELECT c.campaign_id, c.rank, c.score AS coordination_score, c.n_accounts, c.n_pairs,
       coalesce(mp.n_posts, 0) AS n_posts, coalesce(items.n_items, 0) AS n_items,
       c.behaviours, len(c.behaviours) AS n_behaviours,
       c.first_at AS first_seen, c.last_at AS last_seen,
       coalesce(ch.observed, ev.n_rows, 0) AS observed, ch.expected,
       au.automated_share, au.mean_bot_score,
       coalesce(te.techniques, []) AS techniques,
       CASE WHEN mp.n_ai_scored > 0 THEN mp.n_ai / mp.n_ai_scored END AS ai_text_share,
       CASE WHEN mp.n_scored > 0 THEN mp.n_signal / mp.n_scored END AS content_share,
       coalesce(na.narratives, []) AS narratives,
       c.top_items, c.accounts
FROM _campaigns c
LEFT JOIN ch USING (campaign_id) LEFT JOIN ev USING (campaign_id)
LEFT JOIN items USING (campaign_id) LEFT JOIN au USING (campaign_id)
LEFT JOIN mp USING (campaign_id) LEFT JOIN te USING (campaign_id)
LEFT JOIN na USING (campaign_id);

CREATE TEMP TABLE _acc_content AS
SELECT f.platform, f.account_id,
       count(DISTINCT s.post_id) AS n_scored,
       count(DISTINCT a.post_id) AS n_ai,
       count(DISTINCT a2.post_id) AS n_ai_scored,
       count(DISTINCT t.post_id) AS n_tech,
       list(DISTINCT t.technique ORDER BY t.technique) FILTER (WHERE t.technique IS NOT NULL)
           AS techniques
FROM _flags f
JOIN (SELECT post_id, account_id FROM _techniques UNION SELECT post_id, account_id FROM _ai_text)
     s ON s.account_id = f.account_id
LEFT JOIN _ai a ON a.post_id = s.post_id
LEFT JOIN _ai_text a2 ON a2.post_id = s.post_id
LEFT JOIN _tech t ON t.post_id = s.post_id
GROUP BY f.platform, f.account_id;
"""

# Evidence rows: campaign subjects first, then accounts, then posts. Kinds are ordered so a
# reader meets membership and chance before the co-actions that make them up.
EVIDENCE_SQL = """
CREATE TEMP TABLE _label_accounts AS
SELECT f.platform, f.account_id, m.campaign_id, m.member_score,
       f.automated, f.bot_counts, f.bot_score, f.bot_kind, f.reasons, f.has_profile, f.n_posts,
       f.handle,
       CASE WHEN c.n_ai_scored >= 3 THEN c.n_ai / c.n_ai_scored END AS ai_text_share,
       CASE WHEN c.n_scored >= 1 THEN c.n_tech / c.n_scored END AS tech_share,
       coalesce(c.techniques, []) AS techniques
FROM _flags f
LEFT JOIN _mflags m ON m.account_id = f.account_id AND m.platform = f.platform
LEFT JOIN _acc_content c ON c.account_id = f.account_id AND c.platform = f.platform
WHERE m.campaign_id IS NOT NULL OR f.automated
   OR (c.n_ai_scored >= 3 AND c.n_ai / c.n_ai_scored >= 0.5)
   OR (c.n_scored >= 3 AND c.n_tech / c.n_scored >= 0.5);

CREATE TEMP TABLE _ev_raw AS
-- campaign: members
SELECT 'campaign' AS subject_kind, campaign_id AS subject_id, 'membership' AS kind, 1 AS k,
       NULL AS behaviour, campaign_id AS item, account_id, NULL AS post_id,
       NULL::TIMESTAMPTZ AS "at",
       NULL AS other_account_id, NULL AS other_post_id, NULL::TIMESTAMPTZ AS other_at,
       NULL::DOUBLE AS seconds_apart, n_partners::DOUBLE AS observed, NULL::DOUBLE AS expected,
       member_score AS value,
       'member tied by significant edges to ' || n_partners || ' other members' AS detail
FROM _mflags
UNION ALL
-- campaign: chance, all pairs together
SELECT 'campaign', campaign_id, 'chance', 2, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
       NULL, sum(weight)::DOUBLE, sum(expected), count(*)::DOUBLE,
       'all member pairs tied beyond chance (each pair in its strongest layer)'
FROM _best GROUP BY campaign_id
UNION ALL
-- campaign: chance, strongest pairs
SELECT 'campaign', campaign_id, 'chance', 3, layer, NULL, source, NULL, NULL, target, NULL, NULL,
       NULL, weight::DOUBLE, expected, score, 'pair: p = ' || printf('%.2e', pvalue)
FROM (SELECT *, row_number() OVER (PARTITION BY campaign_id ORDER BY score DESC, source, target)
      AS r FROM _best) WHERE r <= {pairs}
UNION ALL
-- campaign: co-actions
SELECT 'campaign', campaign_id, 'co-action', 4, behaviour, item, account_a, post_a, at_a,
       account_b, post_b, at_b, seconds_apart, NULL, NULL, pair_score, NULL
FROM _evidence
UNION ALL
-- campaign: members' bot scores
SELECT 'campaign', campaign_id, 'account-score', 5, NULL, NULL, account_id, NULL, NULL, NULL, NULL,
       NULL, NULL, NULL, NULL, bot_score,
       CASE WHEN automated THEN 'likely automated'
            WHEN NOT bot_counts THEN 'too little profile, score not counted'
            ELSE 'not automated' END
       || coalesce(': ' || array_to_string(reasons, '; '), '')
FROM _mflags WHERE bot_score IS NOT NULL
UNION ALL
-- campaign: members' posts with techniques
SELECT 'campaign', campaign_id, 'technique', 6, NULL, technique, account_id, post_id, created_at,
       NULL, NULL, NULL, NULL, NULL, NULL, score, technique
FROM (SELECT m.campaign_id, t.*, row_number() OVER (
          PARTITION BY m.campaign_id ORDER BY t.score DESC, t.post_id, t.technique) AS r
      FROM _tech t JOIN _members m USING (account_id)) WHERE r <= {content}
UNION ALL
-- campaign: members' AI-written posts
SELECT 'campaign', campaign_id, 'ai-text', 7, NULL, NULL, account_id, post_id, created_at,
       NULL, NULL, NULL, NULL, NULL, NULL, score, 'judged AI-written'
FROM (SELECT m.campaign_id, t.*, row_number() OVER (
          PARTITION BY m.campaign_id ORDER BY t.score DESC, t.post_id) AS r
      FROM _ai t JOIN _members m USING (account_id)) WHERE r <= {content}
UNION ALL
-- account: membership and score
SELECT 'account', account_id, 'membership', 1, NULL, campaign_id, account_id, NULL, NULL, NULL,
       NULL, NULL, NULL, NULL, NULL, member_score, 'member of campaign ' || campaign_id
FROM _label_accounts WHERE campaign_id IS NOT NULL
UNION ALL
SELECT 'account', account_id, 'account-score', 5, NULL, NULL, account_id, NULL, NULL, NULL, NULL,
       NULL, NULL, NULL, NULL, bot_score,
       CASE WHEN automated THEN 'likely automated'
            WHEN NOT bot_counts THEN 'too little profile, score not counted'
            ELSE 'not automated' END
       || coalesce(': ' || array_to_string(reasons, '; '), '')
FROM _label_accounts WHERE bot_score IS NOT NULL
UNION ALL
SELECT 'account', account_id, 'technique', 6, NULL, technique, account_id, post_id, created_at,
       NULL, NULL, NULL, NULL, NULL, NULL, score, technique
FROM (SELECT t.*, row_number() OVER (PARTITION BY t.account_id ORDER BY t.score DESC, t.post_id)
      AS r FROM _tech t WHERE t.account_id IN (SELECT account_id FROM _label_accounts))
WHERE r <= {per_account}
UNION ALL
SELECT 'account', account_id, 'ai-text', 7, NULL, NULL, account_id, post_id, created_at,
       NULL, NULL, NULL, NULL, NULL, NULL, score, 'judged AI-written'
FROM (SELECT t.*, row_number() OVER (PARTITION BY t.account_id ORDER BY t.score DESC, t.post_id)
      AS r FROM _ai t WHERE t.account_id IN (SELECT account_id FROM _label_accounts))
WHERE r <= {per_account}
UNION ALL
-- post: co-actions that cite it (from either side)
SELECT 'post', post_a, 'co-action', 4, behaviour, item, account_a, post_a, at_a, account_b,
       post_b, at_b, seconds_apart, NULL, NULL, pair_score, 'campaign ' || campaign_id
FROM _evidence
UNION ALL
SELECT 'post', post_b, 'co-action', 4, behaviour, item, account_b, post_b, at_b, account_a,
       post_a, at_a, seconds_apart, NULL, NULL, pair_score, 'campaign ' || campaign_id
FROM _evidence
UNION ALL
SELECT 'post', post_id, 'technique', 6, NULL, technique, account_id, post_id, created_at, NULL,
       NULL, NULL, NULL, NULL, NULL, score,
       technique || coalesce(' [' || span_start || ':' || span_end || ']', '')
FROM _tech
UNION ALL
SELECT 'post', post_id, 'ai-text', 7, NULL, NULL, account_id, post_id, created_at, NULL, NULL,
       NULL, NULL, NULL, NULL, score, 'judged AI-written'
FROM _ai;

CREATE TEMP TABLE _spot_evidence AS
SELECT subject_kind, subject_id,
       subject_id || '#' || row_number() OVER (
           PARTITION BY subject_kind, subject_id
           ORDER BY k, value DESC NULLS LAST, post_id, account_id, other_post_id, other_account_id,
                    behaviour, item) AS evidence_id,
       kind, behaviour, item, account_id, post_id, "at", other_account_id, other_post_id,
       other_at, seconds_apart, observed, expected, value, detail
FROM _ev_raw
ORDER BY subject_kind, subject_id, k, value DESC NULLS LAST, post_id, account_id;
"""

LABEL_SQL = """
CREATE TEMP TABLE _n_ev AS
SELECT subject_kind, subject_id, count(*) AS n FROM _spot_evidence GROUP BY ALL;

CREATE TEMP TABLE _account_labels AS
WITH a AS (
    SELECT l.*, s.confidence AS campaign_confidence,
           coalesce(l.member_score / (l.member_score + {scale}), 0) AS c,
           CASE WHEN l.automated THEN l.bot_score ELSE 0 END AS b,
           greatest(coalesce(l.ai_text_share, 0), coalesce(l.tech_share, 0)) AS t
    FROM _label_accounts l LEFT JOIN _scored s USING (campaign_id)
)
SELECT platform, account_id, handle,
       list_filter([
           CASE WHEN campaign_id IS NOT NULL THEN 'coordinated' END,
           CASE WHEN automated THEN 'likely-automated' END,
           CASE WHEN ai_text_share >= 0.5 THEN 'ai-text' END,
           CASE WHEN tech_share >= 0.5 AND len(techniques) > 0 THEN 'persuasion' END
       ], lambda x: x IS NOT NULL) AS labels,
       round(1 - (1 - c) * (1 - b) * (1 - t / 2), 4) AS score,
       round(greatest(
           coalesce(campaign_confidence, 0),
           CASE WHEN automated THEN 0.7 ELSE 0 END,
           CASE WHEN t > 0 THEN 0.5 ELSE 0 END), 4) AS confidence,
       campaign_id, member_score AS campaign_score, bot_score, bot_kind, n_posts, techniques,
       ai_text_share,
       list_concat(
           CASE WHEN campaign_id IS NOT NULL
                THEN ['acts together with other members of ' || campaign_id ||
                      ' beyond chance'] ELSE [] END,
           CASE WHEN bot_score IS NOT NULL AND NOT bot_counts
                THEN ['bot score not counted: too little profile stored'] ELSE [] END,
           coalesce(reasons, [])) AS reasons,
       coalesce(e.n, 0) AS n_evidence
FROM a LEFT JOIN _n_ev e ON e.subject_kind = 'account' AND e.subject_id = a.account_id;

ALTER TABLE _account_labels ADD COLUMN label VARCHAR;
UPDATE _account_labels SET label = labels[1];
DELETE FROM _account_labels WHERE label IS NULL;

CREATE TEMP TABLE _post_labels AS
WITH cited AS (
    SELECT DISTINCT campaign_id, post_a AS post_id FROM _evidence
    UNION SELECT DISTINCT campaign_id, post_b FROM _evidence
), base AS (
    SELECT platform, post_id, account_id, created_at, text FROM _mp
    UNION SELECT platform, post_id, account_id, created_at, text FROM _tech
    UNION SELECT platform, post_id, account_id, created_at, text FROM _ai
), spans AS (
    SELECT post_id,
           list({{'start': span_start, 'end': span_end, 'technique': technique, 'score': score}}
                ORDER BY span_start NULLS LAST, technique)
               FILTER (WHERE span_start IS NOT NULL) AS spans,
           list(DISTINCT technique ORDER BY technique) AS techniques,
           max(score) AS tech_score
    FROM _tech GROUP BY post_id
), p AS (
    SELECT b.*, m.campaign_id, cited.post_id IS NOT NULL AS is_cited,
           s.score AS campaign_score, s.confidence AS campaign_confidence,
           sp.spans, sp.techniques, sp.tech_score, ai.score AS ai_text_score
    FROM base b
    LEFT JOIN _members m ON m.account_id = b.account_id
    LEFT JOIN cited ON cited.post_id = b.post_id AND cited.campaign_id = m.campaign_id
    LEFT JOIN _scored s ON s.campaign_id = m.campaign_id
    LEFT JOIN spans sp ON sp.post_id = b.post_id
    LEFT JOIN (SELECT post_id, max(score) AS score FROM _ai_text GROUP BY post_id) ai
           ON ai.post_id = b.post_id
)
SELECT platform, post_id, account_id, created_at, text,
       list_filter([
           CASE WHEN is_cited THEN 'campaign-evidence' END,
           CASE WHEN campaign_id IS NOT NULL THEN 'coordinated' END,
           CASE WHEN ai_text_score >= 0.5 THEN 'ai-text' END,
           CASE WHEN tech_score IS NOT NULL THEN 'persuasion' END
       ], lambda x: x IS NOT NULL) AS labels,
       round(1 - (1 - coalesce(CASE WHEN is_cited THEN campaign_score
                                    ELSE campaign_score / 2 END, 0))
                * (1 - greatest(coalesce(tech_score, 0), coalesce(ai_text_score, 0)) / 2), 4)
           AS score,
       round(greatest(coalesce(CASE WHEN is_cited THEN campaign_confidence
                                    ELSE campaign_confidence / 2 END, 0),
                      CASE WHEN tech_score IS NOT NULL OR ai_text_score >= 0.5
                           THEN 0.5 ELSE 0 END), 4) AS confidence,
       campaign_id, coalesce(techniques, []) AS techniques, coalesce(spans, []) AS spans,
       ai_text_score, coalesce(e.n, 0) AS n_evidence
FROM p LEFT JOIN _n_ev e ON e.subject_kind = 'post' AND e.subject_id = p.post_id;

ALTER TABLE _post_labels ADD COLUMN label VARCHAR;
UPDATE _post_labels SET label = labels[1];
DELETE FROM _post_labels WHERE label IS NULL;
"""
