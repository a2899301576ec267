"""The Connect API adapter: HTTP client, record parsing, paging, RQL, price sources."""
