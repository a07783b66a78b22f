"""What channel permissions say, in English and Simplified Chinese."""

MESSAGES = {
    "en": {
        "access.managers_only": "Only this channel's managers and admins may {what}. `manager list` shows who manages it; an admin adds a manager with `manager add @name`. Nothing was changed.",
        "access.admins_only": "Only an admin (BATON_ADMINS) can name or remove a channel's managers. Nothing was changed.",
        "access.channel_only": "Run this in the channel you mean. In a direct message with me, you manage your own board already.",
        "access.need_people": "Mention who, e.g. `{example}`.",
        "access.too_many": "That names {count} people; at most {limit} at once. Nothing was changed.",
        "access.managers_added": "Added as managers: {people}. Managers of this channel: {managers}.",
        "access.managers_removed": "No longer managers: {people}. Managers of this channel: {managers}.",
        "access.managers_list": "Managers of this channel: {managers}. Admins, and whoever the platform says administers this workspace or group, manage it too.",
        "access.nobody": "nobody yet",
    },
    "zh": {
        "access.managers_only": "只有本频道的频道管理员和管理员可以{what}。`频道管理员 列表` 可查看频道管理员;管理员可以用 `频道管理员 添加 @某人` 添加。没有做任何修改。",
        "access.admins_only": "只有管理员(BATON_ADMINS)可以指定或移除频道管理员。没有做任何修改。",
        "access.channel_only": "请在要设置的频道里运行。在和我的私聊里,您本来就管理自己的看板。",
        "access.need_people": "请 @ 要设置的人,例如 `{example}`。",
        "access.too_many": "一次提到了 {count} 个人,最多 {limit} 个。没有做任何修改。",
        "access.managers_added": "已添加频道管理员:{people}。本频道的频道管理员:{managers}。",
        "access.managers_removed": "已移除频道管理员:{people}。本频道的频道管理员:{managers}。",
        "access.managers_list": "本频道的频道管理员:{managers}。管理员,以及平台认定的本工作区或本群的管理员,也可以管理本频道。",
        "access.nobody": "暂无",
    },
}
