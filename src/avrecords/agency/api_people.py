"""/api/v1/people (issue 18 §2): an agency's HR or case system keeps it in step, with the same
rules and refusals as the pages."""

from ninja import Router

router = Router(tags=["单位与人员"])
