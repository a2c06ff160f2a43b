from bson import ObjectId


def new_object_id() -> str:
    """A fresh 24-hex ObjectId string, the identifier Cotalker shows as `_id`."""
    return str(ObjectId())
