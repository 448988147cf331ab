-- 009_clean_text: stored feed text keeps no control or bidi characters (yuqing/textsafe.py). Ingest cleans what it
-- stores from now on; this cleans what was stored before: C0/C1 controls become spaces, the bidi embedding,
-- override and isolate controls and the direction marks go. Titles of events are copies of item titles.
UPDATE items SET
    title = trim(regexp_replace(regexp_replace(title, '[\x{0}-\x{1f}\x{7f}-\x{9f}]', ' ', 'g'),
                                '[\x{61c}\x{200e}\x{200f}\x{202a}-\x{202e}\x{2066}-\x{2069}]', '', 'g')),
    summary = trim(regexp_replace(regexp_replace(summary, '[\x{0}-\x{1f}\x{7f}-\x{9f}]', ' ', 'g'),
                                  '[\x{61c}\x{200e}\x{200f}\x{202a}-\x{202e}\x{2066}-\x{2069}]', '', 'g'))
WHERE regexp_matches(title || summary, '[\x{0}-\x{1f}\x{7f}-\x{9f}\x{61c}\x{200e}\x{200f}\x{202a}-\x{202e}\x{2066}-\x{2069}]');
UPDATE events SET
    title = trim(regexp_replace(regexp_replace(title, '[\x{0}-\x{1f}\x{7f}-\x{9f}]', ' ', 'g'),
                                '[\x{61c}\x{200e}\x{200f}\x{202a}-\x{202e}\x{2066}-\x{2069}]', '', 'g'))
WHERE regexp_matches(title, '[\x{0}-\x{1f}\x{7f}-\x{9f}\x{61c}\x{200e}\x{200f}\x{202a}-\x{202e}\x{2066}-\x{2069}]');
