"""Messages of the personal home page (a platform's home tab), in English and Chinese."""

MESSAGES = {
    "en": {
        "home.title": "My tasks",
        "home.empty": "You have no open tasks. Create one with `task add <title>`.",
        "home.overdue": "⚠ overdue since {due}",
        "home.due": "due {due}",
        "home.no_due": "no due date",
        "home.done": "Done",
        "home.start": "Start",
        "home.standups": "My standups",
        "home.standup_next": "{name}: next prompt {at}",
    },
    "zh": {
        "home.title": "我的任务",
        "home.empty": "您没有未完成的任务。用 `task add <标题>` 新建一个。",
        "home.overdue": "⚠ 已于 {due} 逾期",
        "home.due": "截止 {due}",
        "home.no_due": "无截止日期",
        "home.done": "完成",
        "home.start": "开始",
        "home.standups": "我的站会",
        "home.standup_next": "{name}:下次提醒 {at}",
    },
}
