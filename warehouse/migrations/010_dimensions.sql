-- 010_dimensions: the dimensions analysts join to. Both are written by yuqing from its configuration (the topic
-- files and the GB/T 2260 gazetteer shipped with the classifier) whenever they differ, so they follow ops' changes.
CREATE TABLE dim_topics (
    slug    VARCHAR PRIMARY KEY,   -- as in item_topics.topic and events.topics
    name_zh VARCHAR NOT NULL,      -- 疫情防控, 房地产金融, …
    ord     INTEGER NOT NULL       -- display order (the State Council's list first)
);

CREATE TABLE dim_regions (
    code          VARCHAR PRIMARY KEY,  -- GB/T 2260 six-digit code, as in items.region_code
    name          VARCHAR NOT NULL,     -- 南山区
    level         INTEGER NOT NULL,     -- 1 province, 2 city (prefecture), 3 county (district)
    parent_code   VARCHAR,
    province_code VARCHAR NOT NULL,     -- the roll-up: 440000
    province_name VARCHAR NOT NULL,     -- 广东省
    city_code     VARCHAR,              -- 440300 (NULL for a province; a municipality's districts roll up to it)
    city_name     VARCHAR,              -- 深圳市
    full_name     VARCHAR NOT NULL      -- 广东省深圳市南山区
);
