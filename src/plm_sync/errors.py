"""Errors typed by what the caller must do; each carries the CLI exit code it ends with."""

from __future__ import annotations

EXIT_OK = 0
EXIT_RUN_FAILED = 1
EXIT_USAGE = 2
EXIT_ITEM_ERRORS = 3


class PlmSyncError(Exception):
    """Base of every expected failure; the CLI prints its message on one line.

    `transient`: another try may succeed (retried where that is safe); terminal otherwise.
    """

    exit_code = EXIT_RUN_FAILED
    transient = False


class UsageError(PlmSyncError):
    """Bad flags, settings or input files: the message names what to fix (exit 2)."""

    exit_code = EXIT_USAGE


class MappingsError(UsageError):
    """An operator file in `mappings/` is invalid; lists every problem with file and key."""

    SHOWN = 20  # problems the message lists; the rest are counted
    PROBLEM_MAX = 300  # characters of one problem in the message

    def __init__(self, problems: list[str] | str) -> None:
        # a str when re-created from its message (e.g. by Celery's result backend)
        self.problems = [problems] if isinstance(problems, str) else problems
        if isinstance(problems, str):
            super().__init__(problems)
            return
        shown = [
            problem if len(problem) <= self.PROBLEM_MAX else problem[: self.PROBLEM_MAX] + "…"
            for problem in self.problems[: self.SHOWN]
        ]
        more = len(self.problems) - len(shown)
        if more:
            shown.append(f"and {more} more problem(s) like these")
        super().__init__("; ".join(shown))


class ConnectError(PlmSyncError):
    """Any failure talking to Connect."""


class ConnectAuthError(ConnectError):
    """401/403: the API key is wrong or lacks rights; never retried (exit 2)."""

    exit_code = EXIT_USAGE


class ConnectNotFoundError(ConnectError):
    """404: the product (or path) does not exist for this account."""


class ConnectApiError(ConnectError):
    """Connect answered with an error body (`error_code`, `errors`)."""

    def __init__(
        self, message: str, *, status: int, error_code: str | None, errors: list[str]
    ) -> None:
        self.status = status
        self.error_code = error_code
        self.errors = errors
        super().__init__(message)


class ConnectTransientError(ConnectError):
    """429, 5xx, resets and timeouts: retried with backoff, fatal once retries run out."""

    transient = True

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        self.retry_after = retry_after
        super().__init__(message)


class ConnectListingUnstableError(ConnectError):
    """A paged listing kept changing while it was read: nothing read from it is used."""


class ConnectProtocolError(ConnectError):
    """The answer is not what the Connect API promises (not JSON, wrong shape, truncated)."""


class LineWriteError(PlmSyncError):
    """One product line cannot be stored: a value its column cannot hold.

    That line fails with an error event and stays as it was; the run goes on.
    """


class BatchWriteError(PlmSyncError):
    """A batch of product lines could not be written (the database failed, not one line).

    Nothing of the batch is stored; the run fails, and the next run writes those lines.
    """

    step = "writing a batch of product lines"


class RunFailedError(PlmSyncError):
    """A sync run failed as a whole; names the run and the step (exit 1, or 2 for a bad key)."""

    def __init__(self, message: str, *, exit_code: int = EXIT_RUN_FAILED) -> None:
        self.exit_code = exit_code
        super().__init__(message)


class RunConflictError(UsageError):
    """Another run is in progress on this database (exit 2)."""


class CommerceError(PlmSyncError):
    """Any failure talking to CloudBlue Commerce (the PLM and adapter APS services)."""


class CommerceAuthError(CommerceError):
    """Commerce refused the OAuth credentials or the app id; never retried (exit 2)."""

    exit_code = EXIT_USAGE


class CommerceServiceError(CommerceError):
    """The hub has no (or more than one) instance of a service plm-sync needs (exit 2)."""

    exit_code = EXIT_USAGE


class CommerceApiError(CommerceError):
    """Commerce answered an error (an APSError body; HTTP 500 also means not found)."""

    def __init__(self, message: str, *, status: int, detail: str | None = None) -> None:
        self.status = status
        self.detail = detail  # the APSError's own message, when there is one
        super().__init__(message)


class CommerceRefusedError(CommerceError):
    """A 2xx answer whose body holds `error` (PLM refused the workbook, the product...)."""

    def __init__(self, message: str, *, detail: str) -> None:
        self.detail = detail
        super().__init__(message)


class CommerceTransientError(CommerceError):
    """429, 502/503/504, resets and timeouts: retried where that is safe.

    `status` is the HTTP status (None: no answer); `sent` is False when the request surely
    never reached the hub (no connection was made).
    """

    transient = True

    def __init__(
        self,
        message: str,
        *,
        retry_after: float | None = None,
        status: int | None = None,
        sent: bool = True,
    ) -> None:
        self.retry_after = retry_after
        self.status = status
        self.sent = sent
        super().__init__(message)


class CommerceUnknownOutcomeError(CommerceError):
    """`applyConfig` was sent but its answer was lost: PLM may or may not have taken it."""
