"""Feed sources: the sources file, retrieval (HTTP policy), decoding, parsing and item normalisation.

    config    load_sources(path) -> list[SourceConfig]
    policy    plan_fetch / state_after_success / state_after_error  (pure, ``as_of`` passed in)
    http      Fetcher(settings).start(requests, then=...)  (ingest: each outcome handed over as it arrives);
              fetch_many(requests, settings=...) -> list[Retrieved | RetrieveError]  (one-off callers)
    encoding  decode_body(body, content_type) -> Decoded  (declared vs used charset)
    parse     parse_feed(body, url=..., final_url=..., headers=...) -> ParsedFeed
    items     normalise(entries, source=..., final_url=..., fetched_at=...) -> list[Item]

This package knows HTTP and feed formats and nothing of topics or storage.
"""
