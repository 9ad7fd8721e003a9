"""django-import-export resources of the core: the staff archive's columns, with the Chinese
headers of its download template, and the helper every app's resources use for text columns."""

from import_export import fields, resources, widgets

from salesdesk.models import StaffProfile


def text(attribute, header, **kwargs):
    """A text column: an empty cell is an empty string (the archives have no NULL text)."""
    return fields.Field(attribute, column_name=header, widget=widgets.CharWidget(allow_blank=True), **kwargs)


class StaffResource(resources.ModelResource):
    username = text("user__username", "登录名", readonly=True)
    name = text("name", "姓名")
    title = text("title", "职务")
    mobile = text("mobile", "手机")
    qq = text("qq", "QQ")
    wechat = text("wechat", "微信")
    email = text("email", "电子邮箱")
    duties = text("duties", "主要职责")

    class Meta:
        model = StaffProfile
        fields = ["username", "name", "title", "mobile", "qq", "wechat", "email", "duties"]
