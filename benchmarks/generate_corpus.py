"""A deterministic generator of realistic Chinese support conversations in the canonical JSON Lines format.

    python benchmarks/generate_corpus.py -o /tmp/bench.jsonl               # 20 MB (the default size)
    python benchmarks/generate_corpus.py -o /tmp/big.jsonl --size 1G
    python benchmarks/generate_corpus.py --count 300 -o -                  # 300 conversations to stdout
    python benchmarks/generate_corpus.py --seed 7 --size 5M -o /tmp/b.jsonl

The same seed and size always give the same bytes. Conversations come from ten invented businesses
(shop after-sales, broadband, office SaaS, online courses, appliances, food delivery, travel, a wallet,
cloud hosting, a game), on chat (about 75%), e-mail (about 18%) and phone transcripts (about 7%). Each
one opens with the customer's problem, gets a greeting and a request for details, a diagnosis, steps,
the customer's replies, and usually a check that the problem is solved and a goodbye.

What the rules look for appears at rates a contact centre's QA team sees, not at test-fixture rates:
over-familiar address and slang in a few percent of conversations, taboo phrases in about one, emoji,
an unmasked phone or card number, a credential request now and then, technical terms explained or not,
remote assistance with or without consent, a frustrated customer (who usually gets an apology), a
missing greeting or goodbye, a slow reply. Customers sometimes write in Traditional characters, with
full-width letters or spaces between characters. Order numbers, amounts, dates, names and times are
drawn per conversation, so texts rarely repeat exactly (as in real logs, canned agent phrases do).

Every sentence here was written for this generator; none is copied from the labelled sample corpus.
"""
from __future__ import annotations

import argparse
import json
import random
import re
import sys
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Iterator

DEFAULT_SEED = 20261201
DEFAULT_SIZE = 20 * 1024 * 1024
CST = timezone(timedelta(hours=8))

# -- people and numbers ---------------------------------------------------------------------------------------
SURNAMES = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾萧田董袁潘蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤")
AGENT_NAMES = ["小雨", "小林", "小周", "阿杰", "小米", "晓晨", "小吴", "安安", "小鹿", "乐乐", "小唐", "子涵", "小叶", "阿宁", "小舟"]
CITIES = ["杭州", "成都", "武汉", "西安", "南京", "苏州", "长沙", "郑州", "青岛", "厦门", "合肥", "昆明", "天津", "重庆", "宁波", "佛山", "东莞", "济南", "沈阳", "南宁"]
DISTRICTS = ["西湖区", "高新区", "江北区", "锦江区", "滨江区", "雁塔区", "鼓楼区", "开福区", "金水区", "市南区", "思明区", "蜀山区"]
WEEKDAYS = ["周一", "周二", "周三", "周四", "周五", "周六", "周日"]


@dataclass
class Slots:
    """The per-conversation values that fill the templates."""

    brand: str
    product: str
    order: str
    ticket: str
    tracking: str
    amount: str
    customer: str  # 王先生
    customer_full: str  # 王建国 (signatures in e-mail)
    agent: str
    city: str
    district: str
    days: int
    hours: int
    date: str  # 11月26日
    weekday: str
    masked_phone: str
    card_tail: str
    url: str
    count: int

    def fill(self, template: str) -> str:
        return template.format(**self.__dict__)


def _digits(rng: random.Random, n: int) -> str:
    return "".join(rng.choice("0123456789") for _ in range(n))


def _mobile(rng: random.Random) -> str:
    return "1" + rng.choice("3456789") + _digits(rng, 9)


def _luhn_card(rng: random.Random) -> str:
    """A 16- or 19-digit payment-card number that passes the Luhn check."""
    body = rng.choice(["6222", "6217", "6228", "4367", "5187", "6259"]) + _digits(rng, rng.choice([11, 14]))
    total = 0
    for i, ch in enumerate(reversed(body)):
        d = int(ch)
        if i % 2 == 0:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return body + str((10 - total % 10) % 10)


def _resident_id(rng: random.Random) -> str:
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    body = rng.choice(["110105", "330106", "510107", "420111", "320102"]) + str(rng.randint(1960, 2003))
    body += f"{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}" + _digits(rng, 3)
    return body + "10X98765432"[sum(int(c) * w for c, w in zip(body, weights)) % 11]


# -- the businesses -------------------------------------------------------------------------------------------
# Each problem: what the customer says (several wordings), what the agent needs, what the agent finds, and
# the steps the agent gives. `jargon` pairs are (term, plain explanation) an agent may or may not give.
DOMAINS = [
    {
        "key": "shop-after-sales", "info": ["订单号{order}", "{order}", "好的，订单号是{order}", "是这个：{order}", "稍等我找一下。{order}", "手机尾号{card_tail}"], "brand": "青禾商城", "team": "shop-l1", "email_share": 0.2,
        "products": ["无线降噪耳机", "空气炸锅", "羽绒服", "儿童书包", "电动牙刷", "机械键盘", "保温杯", "运动鞋", "床上四件套", "扫地机器人", "智能手表", "行李箱"],
        "ask": ["请问您方便提供一下订单号吗？", "麻烦您发一下订单编号，我这边帮您查询。", "请提供一下下单时的手机号后四位或者订单号。"],
        "problems": [
            {"say": ["我买的{product}收到就是坏的，开不了机", "{product}用了{days}天就出问题了，能换吗", "收到的{product}外包装破了，里面也有划痕"],
             "find": ["查到了，订单{order}的{product}还在7天无理由退换期内，质量问题可以直接换新。", "已经查到您的订单，签收时间是{date}，属于质保期内的质量问题。"],
             "steps": ["您在App里进入「我的订单」，找到这笔订单点「申请售后」，选择「换货」，原因选「商品质量问题」。", "上传两三张问题照片，提交后系统会安排快递员上门取件，运费由我们承担。", "新的{product}会在旧件入库后24小时内发出，运单号会短信通知您。"]},
            {"say": ["我的快递怎么{days}天了还没到", "物流一直显示在{city}转运中心不动了", "下单这么久了还没发货，什么情况"],
             "find": ["帮您查了一下，包裹目前在{city}转运中心，因为近期件量大有些积压。", "订单{order}已于{date}发出，运单号{tracking}，目前显示在派送途中。"],
             "steps": ["我已经给快递公司提交了加急催派，一般24小时内会有更新。", "如果明天这个时候还没有动静，我们可以直接为您补发或者退款。", "您也可以在订单详情里点「查看物流」随时关注进度。"]},
            {"say": ["我想退货，{product}尺码不合适", "{product}颜色和图片差别太大，我要退", "买重复了，有一单想退掉"],
             "find": ["好的，订单{order}支持7天无理由退货，吊牌和包装保留完整就可以。", "查到了，这笔订单实付{amount}元，退货后会原路退回。"],
             "steps": ["在订单页点「申请退货」，退货原因选「不想要了」或者「尺码不合适」。", "寄回时请在包裹里附上写有订单号的纸条，方便仓库快速入库。", "仓库签收后1到3个工作日内退款会原路退回到您的付款账户。"]},
            {"say": ["退款申请了{days}天了怎么还没到账", "说好的退款到现在都没收到", "我的退款显示成功了但是银行卡里没有钱"],
             "find": ["帮您查了，退款{amount}元已于{date}由我们这边发起，目前在银行处理中。", "这笔退款走的是原路退回，到您尾号{card_tail}的银行卡一般需要1到5个工作日。"],
             "steps": ["您可以在银行App的交易明细里搜一下「退款」或者金额{amount}。", "如果超过5个工作日仍未到账，我这边可以帮您开具退款凭证，您拿着凭证联系银行查询。"]},
            {"say": ["发票怎么开？公司报销要用", "我想把个人发票换成公司抬头的", "之前开的发票税号写错了"],
             "find": ["订单{order}支持开具电子普通发票和增值税专用发票。", "查到您这笔订单已经开过一张个人抬头的电子发票。"],
             "steps": ["在订单详情点「发票服务」，选择「换开发票」，填写公司名称和纳税人识别号。", "新的电子发票会在1个工作日内发到您预留的邮箱，原发票会自动作废。"]},
        ],
        "jargon": [],
    },
    {
        "key": "home-broadband", "info": ["宽带账号是{order}", "地址是{city}{district}幸福路{count}号", "光猫上PON灯在闪", "机主手机尾号{card_tail}", "{city}{district}，账号{order}"], "brand": "蓝鲸宽带", "team": "broadband-l2", "email_share": 0.1,
        "products": ["300兆宽带", "500兆宽带", "千兆宽带", "融合套餐", "IPTV电视", "全屋WiFi"],
        "ask": ["请问您的宽带账号或者装机地址是？", "麻烦提供一下宽带账号，或者机主手机号后四位。", "请问您家里的光猫指示灯现在是什么状态？"],
        "problems": [
            {"say": ["家里宽带从早上开始就连不上了", "网络一直掉线，隔几分钟就断一次", "晚上网速特别慢，视频都卡"],
             "find": ["查到您家的线路在{date}有过一次割接，可能是配置没有同步。", "后台看您的光猫在线，但是晚高峰时段带宽占用比较高。", "我这边测了一下，您家的光信号偏弱，可能是入户光纤有弯折。"],
             "steps": ["请您先把光猫和路由器都断电，等一分钟后先开光猫，再开路由器。", "然后用网线把电脑直接连到光猫的LAN口，测一下速度。", "如果直连速度正常，问题在路由器，可以恢复一下出厂设置。"]},
            {"say": ["光猫上的LOS灯一直在闪红灯", "光猫有个灯亮红色，什么意思", "路由器能连上但是上不了网"],
             "find": ["红灯闪烁说明光纤信号中断了，一般是外线或者入户光纤的问题。", "能连上路由器但上不了网，通常是拨号没有成功。"],
             "steps": ["我这边给您派一张维修单，工单号{ticket}，师傅会在4小时内联系您上门。", "请您检查一下光猫背后的黄色光纤头有没有松动，先不要用力弯折。"]},
            {"say": ["我要{city}搬家，宽带能移机吗", "想把宽带升级成千兆，要怎么办", "合约到期了想换个便宜点的套餐"],
             "find": ["可以的，新地址{city}{district}在我们的覆盖范围内。", "您当前是{product}，合约到{date}结束。"],
             "steps": ["您在App「宽带服务 → 移机」里填新地址和预约时间，师傅会上门安装。", "升级千兆需要更换支持千兆的光猫和路由器，费用是一次性{amount}元。"]},
        ],
        "jargon": [("光猫", "就是墙上那个把光纤信号转成网络信号的盒子"), ("DNS", "域名解析系统，把网址翻译成服务器地址"), ("PPPoE拨号", "宽带上网时用账号密码登录网络的方式"),
                   ("LAN口", "光猫背面接电脑或路由器的网口"), ("IP地址", "设备在网络里的门牌号"), ("桥接模式", "光猫只负责转信号、由路由器负责拨号的设置"), ("丢包率", "数据在路上丢失的比例")],
        "remote": True,
    },
    {
        "key": "office-saas", "info": ["企业ID是{order}", "我们公司叫{city}星禾科技，管理员账号尾号{card_tail}", "[图片]", "报错是：账号状态异常，请联系管理员"], "brand": "云帆办公", "team": "saas-support", "email_share": 0.35,
        "products": ["企业版", "团队版", "审批模块", "考勤模块", "云文档", "视频会议"],
        "ask": ["请问您的企业ID或者管理员账号是多少？", "麻烦告诉我一下您所在的企业名称和出问题的成员账号。", "能截个图发我看一下报错的提示吗？"],
        "problems": [
            {"say": ["员工登录一直提示账号异常", "新来的同事收不到邀请短信", "我们管理员后台打不开了"],
             "find": ["查到这个账号开启了登录保护，从新设备登录需要管理员审批。", "后台显示邀请短信已经发送成功，可能被手机拦截了。"],
             "steps": ["管理员在「后台 → 成员管理」里找到这个成员，点「解除登录保护」。", "也可以复制邀请链接，直接发给同事在浏览器里打开加入。"]},
            {"say": ["审批提醒消息收不到了", "考勤打卡一直显示不在范围内", "视频会议共享屏幕对方看不到"],
             "find": ["我看了一下，您企业的审批提醒在{date}被关闭了。", "打卡范围是按公司地址半径300米设置的，您这边的定位偏差比较大。"],
             "steps": ["请到「审批 → 设置 → 消息提醒」里重新打开提醒开关。", "建议在考勤规则里再添加一个WiFi打卡方式，连公司WiFi就能打卡。", "会议里共享屏幕前，先在系统设置里给客户端开启屏幕录制权限。"]},
            {"say": ["我们想对接公司的单点登录", "有没有开放接口可以同步通讯录", "数据能不能导出成表格"],
             "find": ["支持的，企业版提供SSO单点登录和通讯录同步接口。", "可以的，管理员有权限导出近一年的数据。"],
             "steps": ["在「后台 → 安全 → 单点登录」里填写身份提供方的元数据地址，保存后先用一个测试账号验证。", "接口文档在开发者中心，地址是 {url}，里面有示例代码。"]},
        ],
        "jargon": [("SSO", "单点登录，一个账号登录多个系统"), ("SAML", "一种单点登录用的标准协议"), ("API", "系统之间互相调用的接口"), ("LDAP", "企业用来统一管理账号的目录服务"),
                   ("Webhook", "事件发生时自动推送消息的回调地址"), ("OAuth", "一种授权登录的标准"), ("VPN", "连回公司内网的加密通道")],
        "remote": True,
    },
    {
        "key": "online-courses", "info": ["手机号尾号{card_tail}", "学员ID {order}", "用的是尾号{card_tail}的手机号"], "brand": "知行课堂", "team": "edu-service", "email_share": 0.15,
        "products": ["Python入门课", "考研英语", "少儿编程", "摄影基础课", "职场Excel", "雅思冲刺班"],
        "ask": ["请问您购买课程时用的手机号是？", "麻烦提供一下您的学员ID，在「我的 → 设置」里可以看到。"],
        "problems": [
            {"say": ["买的课程看不了，一直转圈", "视频播放到一半就卡住", "直播回放在哪里看"],
             "find": ["查到您已开通{product}，有效期到{date}。", "回放一般在直播结束后2小时内生成。"],
             "steps": ["请您先退出重新登录一下，再清理一下App缓存。", "回放在课程页「课程目录」里，带「回放」标记的就是。"]},
            {"say": ["课程可以退款吗，买了还没看", "不小心买了两次，能退一个吗", "老师说的证书什么时候发"],
             "find": ["您购买的{product}在开课{days}天内、学习进度低于20%可以申请退款。", "证书需要完成全部作业并且结课测验达到80分。"],
             "steps": ["在订单页点「申请退款」，审核通过后{days}个工作日内原路退回{amount}元。", "结课测验在最后一章，完成后证书会自动发放到「我的证书」里。"]},
        ],
        "jargon": [],
    },
    {
        "key": "appliances", "info": ["型号是KX-{count}00，订单号{order}", "条码{order}", "铭牌上写的XQG{count}-B12"], "brand": "安家家电", "team": "appliance-care", "email_share": 0.1,
        "products": ["滚筒洗衣机", "变频空调", "冰箱", "燃气热水器", "洗碗机", "油烟机"],
        "ask": ["请问机器的型号是多少？一般在机身侧面的铭牌上。", "麻烦您提供一下购买时的订单号或者机身条码。"],
        "problems": [
            {"say": ["{product}显示E3故障码", "{product}不制冷了", "{product}开机后有很大的噪音", "{product}漏水，地上都是水"],
             "find": ["E3一般是排水不畅，常见原因是排水管弯折或者过滤器堵了。", "您这台{product}还在三年保修期内，上门维修免费。"],
             "steps": ["请先断电，打开机器右下角的小门，逆时针拧出过滤器清理一下。", "如果清理后还是报错，我给您预约师傅上门，工单号{ticket}。", "师傅上门前会提前半小时电话联系您。"]},
            {"say": ["想预约{product}安装", "什么时候能来装空调", "安装要另外收钱吗"],
             "find": ["您所在的{city}{district}可以预约{date}之后的安装。", "标准安装免费，如需加长铜管会按实际用量收费。"],
             "steps": ["我已经帮您预约了{date}下午两点到六点，工单号{ticket}。"]},
        ],
        "jargon": [("变频", "压缩机根据需要调节转速，更省电"), ("E3故障码", "机器提示排水异常的代码")],
    },
    {
        "key": "food-delivery", "info": ["{order}", "就是今天中午那单，{amount}元的", "[图片]", "订单号{order}"], "brand": "速达外卖", "team": "delivery-cs", "email_share": 0.02,
        "products": ["外卖订单", "超市便利", "跑腿代买", "会员红包"],
        "ask": ["请问是哪一笔订单呢？", "麻烦发一下订单截图或者订单号。"],
        "problems": [
            {"say": ["外卖超时一个小时了还没送到", "骑手说送到了但是我没收到", "餐洒了一半，汤全漏了"],
             "find": ["查到这单骑手在{date}接单，因为暴雨路况延误了。", "核实到这单确实超时{count}分钟。"],
             "steps": ["我已经为您申请了全额退款{amount}元，1到3个工作日原路退回。", "另外给您补发了一张无门槛红包，在「我的 → 红包」里可以看到。"]},
            {"say": ["会员红包怎么用不了", "优惠券显示不可用"],
             "find": ["这张红包限{city}地区使用，而且要满{count}元才能用。"],
             "steps": ["下单时在结算页点「红包」，选择这张就可以抵扣。"]},
        ],
        "jargon": [],
    },
    {
        "key": "travel", "info": ["订单号{order}", "出行人{customer_full}，手机尾号{card_tail}", "{order}，{date}的"], "brand": "星途旅行", "team": "travel-service", "email_share": 0.25,
        "products": ["机票", "酒店", "火车票", "跟团游", "签证服务"],
        "ask": ["请问您的订单号或者出行人姓名是？", "麻烦提供一下预订时的手机号后四位。"],
        "problems": [
            {"say": ["航班取消了，怎么退票", "想改签到{weekday}的航班", "酒店到了说没有我的预订"],
             "find": ["查到您预订的{date}航班因天气原因取消，可以免费全退。", "改签到{weekday}同一航线有余票，差价{amount}元。"],
             "steps": ["我这边已经为您提交了退票申请，票款{amount}元会在7个工作日内退回。", "请您保持电话畅通，酒店前台核实后会给您安排入住。"]},
        ],
        "jargon": [],
    },
    {
        "key": "wallet", "info": ["尾号{card_tail}", "{date}下午，{amount}元", "手机后四位{card_tail}"], "brand": "易付钱包", "team": "payment-risk", "email_share": 0.15,
        "products": ["零钱账户", "信用支付", "转账服务", "银行卡绑定"],
        "ask": ["为了保护您的账户安全，请先提供一下账户绑定手机号的后四位。", "请问是哪一笔交易？可以提供一下交易时间和金额。"],
        "problems": [
            {"say": ["我的账户被冻结了", "转账显示失败但是钱扣了", "银行卡绑不上，一直提示信息不符"],
             "find": ["查到您的账户因为{date}有一笔异地登录触发了风控保护。", "这笔{amount}元的转账目前在处理中，没有真正扣款。"],
             "steps": ["请您在App里完成人脸验证，验证通过后账户会自动解除限制。", "如果2小时后仍显示处理中，系统会自动把钱退回您的余额。"]},
        ],
        "jargon": [("风控", "系统自动识别异常交易、保护账户的机制"), ("实名认证", "用身份证核实账户主人身份")],
    },
    {
        "key": "cloud-hosting", "info": ["实例ID是ins-{order}", "UID {order}，域名是{city}shop.example.cn", "大概{date}晚上十点开始的"], "brand": "极光云", "team": "cloud-tech", "email_share": 0.4,
        "products": ["云服务器", "对象存储", "云数据库", "SSL证书", "CDN加速", "域名服务"],
        "ask": ["请问您的实例ID或者账号UID是多少？", "麻烦提供一下出问题的域名和大概的时间点。"],
        "problems": [
            {"say": ["网站突然打不开了", "服务器连不上，SSH超时", "网站证书提示过期了"],
             "find": ["查到您的实例在{date}因为欠费被停机了。", "您的SSL证书在{date}到期，还没有续费。", "安全组里没有放行22端口，所以SSH连不上。"],
             "steps": ["续费后实例会在5分钟内自动恢复运行。", "在控制台「安全组 → 入方向规则」里添加一条放行22端口的规则。", "证书续费后需要重新部署到服务器上，部署文档见 {url}。"]},
            {"say": ["图片加载特别慢", "数据库CPU一直满载", "对象存储的流量费怎么这么高"],
             "find": ["您的图片没有走CDN，全部从源站下载，所以比较慢。", "后台看到有几条慢查询一直在全表扫描。"],
             "steps": ["建议给图片域名开启CDN加速，并把缓存时间设成7天。", "给常用查询的字段加上索引，CPU占用会明显下降。"]},
        ],
        "jargon": [("CDN", "内容分发网络，把内容缓存到离用户近的节点"), ("安全组", "云服务器的虚拟防火墙"), ("SSH", "远程登录服务器的加密协议"),
                   ("CNAME", "把一个域名指向另一个域名的解析记录"), ("带宽", "单位时间能传输的数据量"), ("端口", "服务器上区分不同服务的编号"), ("HTTPS", "加密的网页传输协议")],
        "remote": True,
    },
    {
        "key": "game", "info": ["角色名{customer_full}{count}，在{city}一区", "角色ID {order}", "区服是华东{count}区"], "brand": "乐游互娱", "team": "game-cs", "email_share": 0.05,
        "products": ["手游账号", "充值礼包", "游戏道具", "赛季通行证"],
        "ask": ["请问您的角色名和所在区服是？", "麻烦提供一下游戏内的角色ID。"],
        "problems": [
            {"say": ["充值了{amount}元没到账", "账号被盗了，装备都没了", "更新之后一直闪退"],
             "find": ["查到这笔充值已经成功，钻石在{date}已经发放到您的账号。", "您的账号在{date}有一次异地登录记录。"],
             "steps": ["请您退出游戏重新登录，再查看一下邮箱里的补发邮件。", "我已经冻结了账号并提交找回申请，工单号{ticket}，预计3个工作日内处理完成。"]},
        ],
        "jargon": [],
    },
]

# -- phrases shared by every business -------------------------------------------------------------------------
CUSTOMER_HELLO = ["你好，", "您好，", "在吗？", "客服在吗，", "你好呀，", "哈喽，", "hello，", "", "", "", "请问一下，", "麻烦问下，"]
AGENT_GREETING = [
    "您好，欢迎咨询{brand}，很高兴为您服务。", "您好，我是{brand}客服{agent}，很高兴为您服务。", "您好，这里是{brand}在线客服，请问有什么可以帮您？",
    "下午好，欢迎咨询{brand}。", "上午好，我是客服{agent}，很高兴为您服务。", "晚上好，欢迎来到{brand}，我是{agent}。", "您好，{agent}为您服务。",
]
NO_GREETING = ["在的，请说。", "嗯，什么问题？", "收到。", "好的。", ""]
CUSTOMER_ACK = ["好的", "嗯嗯", "好的，我试试", "好，稍等我操作一下", "行", "明白了", "哦哦好的", "知道了", "好的，我去看看", "收到"]
CUSTOMER_DONE = ["试了，现在可以了", "弄好了，谢谢", "可以了可以了", "好了，正常了", "已经提交了", "看到了，谢谢你", "嗯，没问题了"]
CUSTOMER_STILL = ["还是不行", "照做了，还是一样", "没用啊", "还是显示一样的提示", "还是打不开"]
CUSTOMER_QUESTION = ["那大概要多久？", "需要我这边做什么吗？", "运费谁出？", "会不会影响我之前的数据？", "要收费吗？", "今天能处理好吗？", "我需要一直在家等吗？", "还有别的办法吗？"]
AGENT_ANSWER = ["一般{hours}个小时内会处理完成，请您放心。", "不需要您额外操作，处理好了系统会短信通知您。", "这个是免费的，不会产生额外费用。", "不会影响您之前的数据，请放心。",
                "今天之内会有专人跟进，处理结果会第一时间告诉您。", "如果这个办法不行，我们还可以安排专人上门检测。"]
CUSTOMER_THANKS = ["好的谢谢", "谢谢啊", "好的，辛苦了", "谢谢你，没别的问题了", "行，那就这样吧", "好嘞", "明白，谢谢"]
CUSTOMER_FRUSTRATED = ["都{days}天了，怎么还没解决", "能不能快点，我很着急", "你们这效率太低了", "说了好几遍了，到底什么时候能好", "等了这么久还没人管，我要投诉",
                       "太离谱了吧", "又不行了，第几次了", "我真是服了", "这都什么服务态度", "怎么这么慢？？？"]
CUSTOMER_CALM_WAIT = ["不着急，你慢慢查", "我不急，等你消息", "好的，不用着急"]
AGENT_APOLOGY = ["非常抱歉让您久等了，", "理解您的心情，给您带来不便实在抱歉，", "很抱歉给您添麻烦了，", "实在不好意思，", "您先别着急，", "真的很抱歉，这次是我们做得不够好，"]
AGENT_WAIT = ["好的，请您稍等，我帮您查询一下。", "收到，我这边核实一下，请稍等。", "好的，我马上帮您看一下。", "请稍等，正在为您查询。"]
AGENT_RESOLUTION = ["请问您的问题是否已解决？", "您再试一下，现在可以正常使用了吗？", "请您确认一下是否恢复正常。", "您看一下现在是否可以了？", "处理后请您验证一下，有问题随时告诉我。",
                    "请您再试试，看看是否已经生效。"]
AGENT_MORE = ["请问还有其他问题吗？", "还有什么可以帮您的吗？", "请问还有别的需要帮忙的吗？"]
AGENT_CLOSING = ["感谢您的耐心配合，祝您生活愉快，再见！", "不客气，感谢您的咨询，祝您一切顺利。", "好的，感谢您的理解，如有其他问题欢迎随时咨询。", "不客气，很高兴能帮到您，再见～",
                 "感谢您的支持，祝您工作顺利！", "好的，那就不打扰您了，祝您周末愉快。"]
AGENT_NO_CLOSING = ["好的。", "嗯，那就这样。", "行的，有问题再说。", "好的，已备注。"]
SYSTEM_LINES = ["会话已转接至{agent}", "用户已上传图片", "系统提示：用户已超过3分钟未回复", "会话由机器人转入人工"]

# Deviations that break the service manual, each at a realistic low rate.
SLANG_OPENERS = ["亲，", "亲亲，", "亲爱的，", "宝子，", "好滴，", "老铁，", "好哒亲，", "小主，"]
SLANG_INLINE = ["木有问题的", "好滴", "嗯哒", "么么哒", "哈哈", "稍等哈亲"]
TABOO_LINES = ["这个我不清楚，您自己看一下说明书吧。", "这个不归我管，您找快递去。", "这不是我们的问题，您去问别人吧。", "我也不知道什么时候能好，您等着吧。",
               "我刚才说过了，您没看吗？", "系统就是这样，爱用不用。", "您自己查一下物流就知道了。"]
EMOJI_TAILS = [" 😊", "😄", " 👍", "🙏", " [微笑]", " [抱拳]", " (^_^)", " ❤", "🌹", " 💪", " ^_^", "😂"]
EMOJI_HARMLESS = ["～", "~", "!", "。"]  # look like decoration, are not emoji
PII_LINES = ["核实到您预留的手机号是{mobile}，对吗？", "快递员会打您的电话{mobile}联系送货。", "退款会退到您的银行卡{card}，请注意查收。", "已核实机主身份证号{resident_id}，信息无误。",
             "已给您的邮箱{email}发送了确认邮件。"]
MASKED_LINES = ["核实到您预留的手机号是{masked_phone}，对吗？", "退款已退回您尾号{card_tail}的银行卡。", "确认邮件已发送到您预留的邮箱 {customer_mail}。"]
CREDENTIAL_LINES = ["麻烦您把收到的验证码发给我一下，我帮您操作。", "请提供一下您的登录密码，我这边帮您登录看看。", "您把短信里的6位数字告诉我就行。"]
CREDENTIAL_SAFE = ["验证码请勿向任何人透露，包括客服。", "登录时请在App里输入验证码即可，不要告诉任何人。"]
REMOTE_ASK = ["为了更快定位问题，我可以远程协助您看一下，您同意吗？", "方便的话我用ToDesk远程帮您看看，您看可以吗？"]
REMOTE_YES = ["可以", "好的，你远程吧", "行，同意", "没问题"]
REMOTE_START = ["好的，我现在发起远程协助，请您在弹窗里点「接受」。", "我这边开始远程连接了，请不要操作鼠标。", "请把ToDesk的设备代码发给我，我连上去看一下。"]
REMOTE_DONE = ["远程已断开，刚才把代理设置关掉了，问题已经处理好了。", "远程协助结束，驱动已经重新安装。"]
EMAIL_CUSTOMER_OPEN = ["你好：", "您好：", "客服你好：", "你们好：", "{brand}客服：", "Hi，"]
EMAIL_CUSTOMER_CLOSE = ["麻烦尽快回复，谢谢。", "期待你们的答复。", "谢谢！", "盼复。", "请尽快处理，谢谢。"]
EMAIL_AGENT_OPEN = ["尊敬的{customer}：\n\n您好！感谢您的来信。", "{customer}，您好：\n\n来信已收到，感谢您联系{brand}。", "亲爱的{customer}：\n\n您好！很抱歉这么晚才回复您。",
                    "尊敬的客户：\n\n您好！您的来信我们已经收到。"]
EMAIL_AGENT_CLOSE = ["\n\n如有其他问题，可直接回复本邮件。\n\n祝您生活愉快！\n\n{brand}客户服务中心", "\n\n感谢您的理解与支持。\n\n此致\n敬礼\n\n{brand}客服部 {agent}",
                     "\n\n祝好！\n\n{brand} 客户成功团队", "\n\n{brand}客户服务中心\n{date}"]
EMAIL_AGENT_CLOSE_BARE = ["\n\n{brand}客户服务中心", "\n\n{agent}\n{brand}"]
PHONE_FILLERS = ["嗯", "那个", "就是", "然后", "对对对", "呃", "这样子"]


class ConversationFactory:
    """Builds one conversation at a time from a seeded random stream; the same seed gives the same stream."""

    def __init__(self, seed: int = DEFAULT_SEED):
        self.rng = random.Random(seed)
        self.serial = 0
        self._s2t = None

    # -- helpers ------------------------------------------------------------------------------------------------
    def chance(self, p: float) -> bool:
        return self.rng.random() < p

    def pick(self, items):
        return items[self.rng.randrange(len(items))]

    def _traditional(self, text: str) -> str:
        if self._s2t is None:
            import opencc

            self._s2t = opencc.OpenCC("s2t")
        return self._s2t.convert(text)

    def _slots(self, domain: dict, started: datetime) -> Slots:
        rng = self.rng
        surname = self.pick(SURNAMES)
        day = started + timedelta(days=rng.randint(-10, 6))
        return Slots(
            brand=domain["brand"], product=self.pick(domain["products"]),
            order=f"{started:%Y%m%d}{_digits(rng, 6)}", ticket=f"GD{started:%Y%m%d}{_digits(rng, 4)}",
            tracking=self.pick(["SF", "YT", "ZT", "JD"]) + _digits(rng, 12), amount=self.pick([f"{rng.randint(9, 3999)}", f"{rng.randint(9, 999)}.{rng.randint(0, 99):02d}"]),
            customer=surname + self.pick(["先生", "女士", "老师", "经理", "工"]), customer_full=surname + self.pick(["建国", "丽", "婷婷", "伟", "晓峰", "雪", "子轩", "海燕", "明"]),
            agent=self.pick(AGENT_NAMES), city=self.pick(CITIES), district=self.pick(DISTRICTS), days=rng.randint(2, 9), hours=rng.choice([2, 4, 24, 48]),
            date=f"{day.month}月{day.day}日", weekday=self.pick(WEEKDAYS), masked_phone=f"1{rng.choice('3589')}{rng.randint(0, 9)}****{_digits(rng, 4)}",
            card_tail=_digits(rng, 4), url=f"https://help.{domain['key']}.example.cn/kb/{rng.randint(100, 9999)}", count=rng.randint(15, 90),
        )

    def _pii(self, slots: Slots) -> str:
        rng = self.rng
        line = self.pick(PII_LINES)
        return line.format(mobile=_mobile(rng), card=_luhn_card(rng), resident_id=_resident_id(rng), email=f"{self.pick(['li', 'wang', 'chen', 'zhao'])}{_digits(rng, 4)}@example.com")

    def _masked(self, slots: Slots) -> str:
        line = self.pick(MASKED_LINES)
        return line.format(masked_phone=slots.masked_phone, card_tail=slots.card_tail, customer_mail=f"{self.pick(['li', 'wu', 'he'])}***@example.com")

    def _jargon_sentence(self, domain: dict) -> str:
        term, meaning = self.pick(domain["jargon"])
        style = self.rng.random()
        if style < 0.45:
            return self.pick(["问题出在{t}（{m}）上。", "需要检查一下{t}（{m}）的设置。", "我们把{t}（{m}）调整了一下。"]).format(t=term, m=meaning)
        if style < 0.65:
            return self.pick(["我帮您看了{t}，也就是{m}，目前有异常。", "{t}简单来说就是{m}，这里需要改一下。"]).format(t=term, m=meaning)
        return self.pick(["需要检查一下{t}的设置。", "问题可能出在{t}上。", "建议您重新配置一下{t}。", "{t}这边我已经帮您改好了。"]).format(t=term)

    # -- decoration of customer and agent texts ---------------------------------------------------------------------
    def _customer_style(self, text: str, style: str) -> str:
        if style == "traditional":
            return self._traditional(text)
        if style == "spaced" and self.chance(0.3):
            return " ".join(text)
        if style == "fullwidth":
            return text.translate({c: c + 0xFEE0 for c in range(0x21, 0x7F)})
        return text

    def _agent_flavour(self, text: str, flags: dict) -> str:
        if flags["slang"] and self.chance(0.35):
            text = self.pick(SLANG_OPENERS) + text if self.chance(0.7) else text.rstrip("。") + "，" + self.pick(SLANG_INLINE) + "。"
        if flags["emoji"] and self.chance(0.3):
            text += self.pick(EMOJI_TAILS)
        elif self.chance(0.05):
            text = text.rstrip("。") + self.pick(EMOJI_HARMLESS)
        return text

    # -- one conversation -------------------------------------------------------------------------------------------
    def conversation(self) -> dict:
        self.serial += 1
        rng = self.rng
        domain = self.pick(DOMAINS)
        started = datetime(2026, 10, 1, tzinfo=CST) + timedelta(days=rng.randint(0, 91), seconds=rng.randint(8 * 3600, 23 * 3600))
        slots = self._slots(domain, started)
        roll = rng.random()
        channel = "email" if roll < domain["email_share"] else ("phone" if roll > 0.93 else "chat")
        flags = {
            "slang": self.chance(0.05), "emoji": self.chance(0.04), "taboo": self.chance(0.012), "pii": self.chance(0.012),
            "credential": self.chance(0.004), "greeting": self.chance(0.95), "resolution": self.chance(0.85), "closing": self.chance(0.9),
            "frustrated": self.chance(0.1), "apologises": self.chance(0.8), "slow": self.chance(0.06), "timestamps": self.chance(0.97),
            "jargon": bool(domain["jargon"]) and self.chance(0.5), "remote": domain.get("remote", False) and channel == "chat" and self.chance(0.12),
            "consent": self.chance(0.7), "style": self.pick(["plain"] * 30 + ["traditional", "spaced", "fullwidth"]),
        }
        problem = self.pick(domain["problems"])
        if channel == "email":
            messages = self._email(domain, problem, slots, flags)
        else:
            messages = self._chat(domain, problem, slots, flags, phone=channel == "phone")
        self._timestamps(messages, started, channel, flags)
        record = {
            "id": f"bench-{self.serial:08d}", "channel": channel, "agent": f"agent.{rng.randint(1, 240):03d}", "team": domain["team"],
            "started_at": started.isoformat(), "messages": messages, "meta": {"product": domain["key"]},
        }
        if channel == "email":
            record["meta"]["subject"] = slots.fill(self.pick(["关于订单{order}的问题", "{product}问题咨询", "咨询：{product}", "【求助】{product}"]))
        if not flags["timestamps"]:
            record.pop("started_at")
            for m in messages:
                m.pop("ts", None)
        return record

    def _chat(self, domain, problem, slots, flags, phone: bool) -> list[dict]:
        msgs: list[dict] = []
        style = flags["style"]

        def customer(text):
            text = slots.fill(text)
            if phone:
                text = self._phone(text)
            msgs.append({"role": "customer", "text": self._customer_style(text, style)})

        def agent(text, flavour=True):
            text = slots.fill(text)
            if flavour:
                text = self._agent_flavour(text, flags)
            if phone:
                text = self._phone(text, filler=0.1)
            msgs.append({"role": "agent", "text": text})

        if self.chance(0.04):
            msgs.append({"role": "system", "text": slots.fill(self.pick(SYSTEM_LINES))})
        opening = self.pick(CUSTOMER_HELLO) + self.pick(problem["say"])
        if self.chance(0.3):
            customer(self.pick(CUSTOMER_HELLO).rstrip("，") or "在吗")
            customer(self.pick(problem["say"]))
        else:
            customer(opening)
        first = self.pick(AGENT_GREETING) if flags["greeting"] else self.pick(NO_GREETING)
        agent((first + self.pick(domain["ask"])).strip())
        customer(self.pick(domain["info"]))
        if self.chance(0.6):
            agent(self.pick(AGENT_WAIT))
        agent(self.pick(problem["find"]))
        if flags["pii"]:
            agent(self._pii(slots), flavour=False)
        elif self.chance(0.08):
            agent(self._masked(slots), flavour=False)
        if flags["jargon"]:
            agent(self._jargon_sentence(domain))
        if flags["remote"]:
            self._remote(agent, customer, flags)
        if flags["credential"]:
            agent(self.pick(CREDENTIAL_LINES), flavour=False)
            customer(self.pick(CUSTOMER_ACK))
        elif self.chance(0.03):
            agent(self.pick(CREDENTIAL_SAFE))
        steps = list(problem["steps"])
        for i, step in enumerate(steps[: self.rng.randint(1, len(steps))]):
            agent(step)
            if self.chance(0.5):
                customer(self.pick(CUSTOMER_ACK if i < len(steps) - 1 else CUSTOMER_QUESTION))
                if msgs[-1]["text"].endswith("？"):
                    agent(self.pick(AGENT_ANSWER))
        if flags["frustrated"]:
            customer(self.pick(CUSTOMER_FRUSTRATED))
            reply = self.pick(AGENT_ANSWER)
            agent(self.pick(AGENT_APOLOGY) + reply if flags["apologises"] else reply)
        elif self.chance(0.04):
            customer(self.pick(CUSTOMER_CALM_WAIT))
            agent(self.pick(AGENT_WAIT))
        if flags["taboo"]:
            customer(self.pick(CUSTOMER_QUESTION))
            agent(self.pick(TABOO_LINES), flavour=False)
        if self.chance(0.15):
            customer(self.pick(CUSTOMER_STILL))
            agent(self.pick(problem["steps"]))
        if flags["resolution"]:
            agent(self.pick(AGENT_RESOLUTION))
            customer(self.pick(CUSTOMER_DONE))
        elif self.chance(0.5):
            agent(self.pick(AGENT_MORE))
        customer(self.pick(CUSTOMER_THANKS))
        agent(self.pick(AGENT_CLOSING) if flags["closing"] else self.pick(AGENT_NO_CLOSING))
        return msgs

    def _remote(self, agent, customer, flags) -> None:
        if flags["consent"]:
            agent(self.pick(REMOTE_ASK))
            customer(self.pick(REMOTE_YES))
        agent(self.pick(REMOTE_START), flavour=False)
        customer(self.pick(CUSTOMER_ACK))
        agent(self.pick(REMOTE_DONE))

    def _phone(self, text: str, filler: float = 0.5) -> str:
        """A speech-to-text line: fillers, and punctuation mostly lost."""
        text = re.sub(r"[，。？！、]", lambda m: " " if self.chance(0.6) else m.group(0), text)
        if self.chance(filler):
            text = self.pick(PHONE_FILLERS) + " " + text
        return text.strip()

    def _email(self, domain, problem, slots, flags) -> list[dict]:
        """Two to four long messages: a customer mail, the agent's answer, sometimes a follow-up round."""
        style = flags["style"] if flags["style"] != "spaced" else "plain"
        body = [self.pick(problem["say"]) + "。", self.pick(domain["info"]) + "。", self.pick(CUSTOMER_QUESTION)]
        if flags["frustrated"]:
            body.append(self.pick(CUSTOMER_FRUSTRATED) + "。")
        customer_mail = slots.fill(self.pick(EMAIL_CUSTOMER_OPEN) + "\n\n" + "".join(body) + "\n\n" + self.pick(EMAIL_CUSTOMER_CLOSE) + "\n\n" + slots.customer_full)
        msgs = [{"role": "customer", "text": self._customer_style(customer_mail, style)}]
        opener = self.pick(EMAIL_AGENT_OPEN) if flags["greeting"] else "{customer}："
        paragraphs = [self.pick(problem["find"])]
        if flags["frustrated"] and flags["apologises"]:
            paragraphs.insert(0, "给您带来不便，我们深表歉意。")
        if flags["jargon"]:
            paragraphs.append(self._jargon_sentence(domain))
        if flags["pii"]:
            paragraphs.append(self._pii(slots))
        paragraphs.append("".join(problem["steps"]))
        paragraphs.append(self.pick(AGENT_ANSWER))
        if flags["taboo"]:
            paragraphs.append(self.pick(TABOO_LINES))
        if flags["resolution"]:
            paragraphs.append(self.pick(["处理完成后，请您确认问题是否已解决。", "请您按上述步骤操作后再试一下，并告诉我们结果。"]))
        text = opener + "\n\n" + "\n\n".join(self._agent_flavour(p, flags) for p in paragraphs)
        text += self.pick(EMAIL_AGENT_CLOSE) if flags["closing"] else self.pick(EMAIL_AGENT_CLOSE_BARE)
        msgs.append({"role": "agent", "text": slots.fill(text)})
        if self.chance(0.35):
            msgs.append({"role": "customer", "text": self._customer_style(slots.fill(self.pick(CUSTOMER_DONE) + "。" + self.pick(CUSTOMER_THANKS) + "\n\n" + slots.customer_full), style)})
            if self.chance(0.5):
                msgs.append({"role": "agent", "text": slots.fill("{customer}，您好：\n\n" + self.pick(AGENT_CLOSING) + "\n\n{brand}客户服务中心")})
        return msgs

    def _timestamps(self, messages: list[dict], started: datetime, channel: str, flags: dict) -> None:
        rng = self.rng
        now = started
        previous = None
        for i, m in enumerate(messages):
            if i:
                if channel == "email":
                    gap = rng.randint(2 * 3600, 20 * 3600) if not flags["slow"] else rng.randint(25 * 3600, 50 * 3600)
                elif m["role"] == "agent" and previous == "customer":
                    late = flags["slow"] and self.chance(0.4)
                    gap = rng.randint(200, 600) if late else rng.randint(8, 55)
                else:
                    gap = rng.randint(3, 25) if m["role"] == previous else rng.randint(5, 90)
                now += timedelta(seconds=gap)
            m["ts"] = now.isoformat()
            previous = m["role"]


def conversations(seed: int = DEFAULT_SEED) -> Iterator[dict]:
    """An endless, deterministic stream of canonical conversation dicts."""
    factory = ConversationFactory(seed)
    while True:
        yield factory.conversation()


@dataclass
class CorpusStats:
    conversations: int = 0
    messages: int = 0
    characters: int = 0  # of message text
    bytes: int = 0


def write_corpus(out, *, size: int | None = DEFAULT_SIZE, count: int | None = None, seed: int = DEFAULT_SEED) -> CorpusStats:
    """Write JSON Lines to the text stream `out` until `size` bytes or `count` conversations; figures returned."""
    stats = CorpusStats()
    for conv in conversations(seed):
        if count is not None and stats.conversations >= count:
            break
        if count is None and size is not None and stats.bytes >= size:
            break
        line = json.dumps(conv, ensure_ascii=False, separators=(",", ":")) + "\n"
        out.write(line)
        stats.conversations += 1
        stats.messages += len(conv["messages"])
        stats.characters += sum(len(m["text"]) for m in conv["messages"])
        stats.bytes += len(line.encode("utf-8"))
    return stats


def parse_size(text: str) -> int:
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([KMG]?)B?\s*", text.upper())
    if not match:
        raise argparse.ArgumentTypeError(f"{text!r}: use a size such as 20M, 1G or 500000")
    return int(float(match.group(1)) * {"": 1, "K": 1024, "M": 1024**2, "G": 1024**3}[match.group(2)])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-o", "--output", required=True, help="file to write, or - for stdout")
    parser.add_argument("--size", type=parse_size, default=DEFAULT_SIZE, help="stop at about this many bytes (20M, 1G …) [default: 20M]")
    parser.add_argument("--count", type=int, help="write exactly this many conversations instead of a size")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"random seed [default: {DEFAULT_SEED}]")
    args = parser.parse_args(argv)
    if args.output == "-":
        stats = write_corpus(sys.stdout, size=args.size, count=args.count, seed=args.seed)
    else:
        with Path(args.output).open("w", encoding="utf-8") as out:
            stats = write_corpus(out, size=args.size, count=args.count, seed=args.seed)
    print(f"{stats.conversations:,} conversations, {stats.messages:,} messages, {stats.characters:,} characters of text, "
          f"{stats.bytes / 1024 / 1024:.1f} MB", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
