"""What the ``dashboard`` command says, in English and Simplified Chinese."""

MESSAGES = {
    "en": {
        "dashboard.link": "Your sign-in link to Baton's dashboard (valid {minutes} minutes, works once; keep it to yourself):\n{url}",
        "dashboard.sent": "I've sent you a sign-in link by direct message.",
        "dashboard.too_many": "You've asked for {limit} links in the last {minutes} minutes; use the latest one, or ask again in a few minutes.",
        "dashboard.off": "The web dashboard is switched off here (BATON_WEB=false); ask whoever runs Baton.",
    },
    "zh": {
        "dashboard.link": "您的 Baton 网页看板登录链接({minutes} 分钟内有效,只能使用一次,请勿转发):\n{url}",
        "dashboard.sent": "已通过私信把登录链接发给您。",
        "dashboard.too_many": "您在 {minutes} 分钟内已经申请了 {limit} 个链接;请使用最新的一个,或过几分钟再试。",
        "dashboard.off": "这里的网页看板已关闭(BATON_WEB=false);请联系 Baton 的管理员。",
    },
}
