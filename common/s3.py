"""Stored files on an S3-compatible bucket (django-storages' S3Storage), with common.storage's guarantees.

settings.STORAGES["default"] is `AtomicS3Storage` when S3_BUCKET is set. What it adds to S3Storage:
- Whole or absent: an object exists only once its PUT has completed (S3's own guarantee), so no
  temporary name is needed; one PUT per file (our attachments are megabytes, far under S3's 5 GB),
  never a multipart upload whose parts a killed process could leave (the sweep aborts those anyway).
- Never over another file: the PUT is conditional (If-None-Match: *), so two writers racing for one
  name (the chat's `chat.jpg`) cannot overwrite each other; the loser takes another name, as
  AtomicFileSystemStorage's link does.
- Noted for common.storage.files_removed_on_rollback: a rolled-back report leaves no object.
- Private: no ACL is ever sent, so every object stays as private as the bucket (no public-read);
  files are handed out through short-lived signed URLs only (`signed_url`).
- A bucket that cannot be reached, or refuses, raises StorageUnavailableError (an OSError): the
  request is answered 503 with nothing kept (geo.outage), not a 500.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from django.conf import settings
from storages.backends.s3 import S3Storage
from storages.utils import ReadBytesWrapper, clean_name

from .storage import StorageUnavailableError, file_stored_note

# A bucket that does not answer must not hold a web worker for minutes (botocore waits 60 s by default).
CLIENT_CONFIG = Config(connect_timeout=5, read_timeout=30, retries={"max_attempts": 3, "mode": "standard"})


def _status(error: ClientError) -> int:
    return int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0))


class AtomicS3Storage(S3Storage):  # type: ignore[misc]  # django-storages has no types
    """S3Storage whose objects appear whole or not at all, under a name of their own (see the module)."""

    def get_default_settings(self) -> dict[str, Any]:
        defaults: dict[str, Any] = super().get_default_settings()
        defaults.update(
            # A name already taken gets another (the disk's behaviour), checked before the PUT.
            file_overwrite=False,
            # No ACL: the bucket's default (private) holds for every object.
            default_acl=None,
            querystring_auth=True,
            querystring_expire=settings.S3_SIGNED_URL_SECONDS,
            signature_version="s3v4",
        )
        return defaults

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        config: Config = getattr(self, "client_config")  # noqa: B009 - set by S3Storage, untyped
        self.client_config = config.merge(CLIENT_CONFIG)

    def exists(self, name: str) -> bool:
        # Asked before each save (is the name free?): an unreachable bucket is told as such there too.
        try:
            return bool(super().exists(name))
        except (BotoCoreError, ClientError) as exc:
            raise StorageUnavailableError(f"The bucket could not be asked about {name}: {exc}") from exc

    def _save(self, name: str, content: Any) -> str:
        body = ReadBytesWrapper(content)
        while True:
            key = self._key(name)
            params = self._get_write_parameters(key, content)
            if hasattr(content, "seek"):
                content.seek(0)
            try:
                self.bucket.meta.client.put_object(
                    Bucket=self.bucket_name, Key=key, Body=body, IfNoneMatch="*", **params
                )
                break
            except ClientError as exc:
                if _status(exc) != 412:  # 412: the name was taken meanwhile
                    raise StorageUnavailableError(f"The bucket refused {key}: {exc}") from exc
                name = self.get_available_name(name)
            except BotoCoreError as exc:
                raise StorageUnavailableError(f"The bucket could not be reached for {key}: {exc}") from exc
        name = clean_name(name)
        file_stored_note(self, name)
        return name

    # What common.storage asks of a storage other than the disk (its BucketStorage).

    def _key(self, name: str) -> str:
        return str(self._normalize_name(clean_name(name)))

    def _prefix(self, folder: str) -> str:
        return self._key(folder).rstrip("/") + "/"

    def _name(self, key: str) -> str:
        """The storage name of a bucket key (the key without the storage's `location`)."""
        location = str(self.location).strip("/")
        return key[len(location) + 1 :] if location else key

    def stored_files(self, folder: str) -> Iterator[tuple[str, float]]:
        """(name, modification time) of the objects under `folder`, from the bucket's listing (pages of
        a thousand keys: one request per thousand files, none per file)."""
        for summary in self.bucket.objects.filter(Prefix=self._prefix(folder)):
            yield self._name(summary.key), summary.last_modified.timestamp()

    def uploads_abandoned_abort(self, folders: list[str], deadline: float) -> list[str]:
        """Abort the multipart uploads begun under `folders` before `deadline` (a timestamp) and never
        completed (their parts are billed and invisible): the bucket's equivalent of a `.part` file."""
        aborted = []
        for folder in folders:
            for upload in self.bucket.multipart_uploads.filter(Prefix=self._prefix(folder)):
                if upload.initiated.timestamp() <= deadline:
                    upload.abort()
                    aborted.append(f"{self._name(upload.object_key)} (unfinished upload)")
        return aborted

    def object_open(self, name: str) -> tuple[IO[bytes], int]:
        """The object's body, streamed as it is read, and its size."""
        key = self._key(name)
        try:
            answer = self.bucket.meta.client.get_object(Bucket=self.bucket_name, Key=key)
        except ClientError as exc:
            if _status(exc) == 404:
                raise FileNotFoundError(name) from exc
            raise StorageUnavailableError(f"The bucket refused {key}: {exc}") from exc
        except BotoCoreError as exc:
            raise StorageUnavailableError(f"The bucket could not be reached for {key}: {exc}") from exc
        return answer["Body"], int(answer["ContentLength"])

    def signed_url(self, name: str, *, seconds: int, content_type: str, disposition: str, cache_control: str) -> str:
        """A presigned GET of the object, valid `seconds`, whose answer carries these headers (S3 sets them
        from the signed response-* parameters, so they cannot be changed without breaking the signature)."""
        parameters = {"ResponseContentType": content_type, "ResponseCacheControl": cache_control}
        if disposition:
            parameters["ResponseContentDisposition"] = disposition
        return str(self.url(name, parameters=parameters, expire=seconds))

    def object_download(self, name: str, target: Path) -> bool:
        """Copy the object to a local file; False if there is no such object."""
        try:
            self.bucket.download_file(self._key(name), str(target))
        except ClientError as exc:
            if _status(exc) == 404:
                return False
            raise
        return True

    def object_upload(self, name: str, source: Path) -> None:
        """Put a local file under exactly `name`, unless an object has that name already (write-once names)."""
        key = self._key(name)
        with source.open("rb") as body:
            try:
                self.bucket.meta.client.put_object(
                    Bucket=self.bucket_name, Key=key, Body=body, IfNoneMatch="*", **self._get_write_parameters(key)
                )
            except ClientError as exc:
                if _status(exc) != 412:
                    raise
