"""The building blocks of a policy profile's models (X3): strict models, and a value with its
article (`cite`) or a note saying the regulations leave it open. See `policies.schema`."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

CITE_RE = re.compile(r"^\d{3}§\d+(\(\d+\))?(\d+)?$")
CODE_RE = r"^[a-z][a-z0-9_]*$"

Code = Annotated[str, Field(pattern=CODE_RE, max_length=40)]
Name = Annotated[str, Field(min_length=1, max_length=100)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Cited(Strict):
    """Where a value comes from: an article, or a note saying the regulations leave it open."""

    cite: str = ""
    note: str = ""

    @field_validator("cite")
    @classmethod
    def _cite_format(cls, value: str) -> str:
        for part in filter(None, (p.strip() for p in value.split(","))):
            if not CITE_RE.match(part):
                raise ValueError(f"条款引用“{part}”格式应为 文件号§条 如 004§17 或 004§19(3)1")
        return value

    @model_validator(mode="after")
    def _traceable(self):
        if not self.cite and not self.note:
            raise ValueError("须注明条款（cite）或说明（note）")
        return self
