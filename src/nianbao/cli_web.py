"""`nianbao serve` (the web workbench) and `nianbao user add` (its accounts)."""
from __future__ import annotations

import argparse
import os
import sys

EXIT_OK, EXIT_USAGE = 0, 2


def _db(args: argparse.Namespace) -> str:
    from .store import default_db
    db = args.db or default_db()
    if not db:
        raise SystemExit("nianbao: 参数错误：请用 --db 指定审核数据库（SQLite 文件路径或 postgresql:// 地址），"
                         "或设置环境变量 NIANBAO_DB")
    return db


def _cmd_serve(args: argparse.Namespace) -> int:
    try:
        import uvicorn
        from .web import create_app
    except ImportError as exc:
        sys.stderr.write(f"nianbao: 缺少网页工作台组件（{exc.name}），请安装：pip install 'nianbao[web,store]'\n")
        return EXIT_USAGE
    from .store import Store
    from .store.accounts import add_user, users
    db = _db(args)
    with Store(db) as store:
        if args.with_sample:
            from .paths import sample_report
            from .store import check_into_store
            check_into_store(store, [str(sample_report())], None, "示例数据")
        if not users(store):
            # First start: one administrator, so the person who started it can log in at once.
            import secrets
            password = os.environ.get("NIANBAO_ADMIN_PASSWORD") or secrets.token_urlsafe(9)
            add_user(store, "admin", "admin", password, actor="首次启动")
            sys.stdout.write(f"已创建管理员账号：用户名 admin，密码 {password}\n"
                             f"（请登录后在“用户”页面修改，或运行 nianbao user add admin --role admin）\n")
    app = create_app(db, max_upload_mb=args.max_upload_mb)
    sys.stdout.write(f"年报审核工作台：http://{args.host}:{args.port}/ （按 Ctrl-C 停止）\n")
    sys.stdout.flush()
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")
    return EXIT_OK


def _cmd_user_add(args: argparse.Namespace) -> int:
    from .store import Store
    from .store.accounts import add_user
    if sys.stdin.isatty():
        import getpass
        password = getpass.getpass("密码：")
        if getpass.getpass("再次输入密码：") != password:
            sys.stderr.write("nianbao: 两次输入的密码不一致\n")
            return EXIT_USAGE
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    with Store(_db(args)) as store:
        user = add_user(store, args.name, args.role, password)
    sys.stdout.write(f"已保存用户 {user.name}（{args.role}）\n")
    return EXIT_OK


def add_commands(sub) -> None:
    p = sub.add_parser("serve", help="启动网页审核工作台（上传报告、复核问题、生成整改函）")
    p.add_argument("--db", default=None, help="审核数据库：SQLite 文件路径或 postgresql:// 地址（默认取 NIANBAO_DB）")
    p.add_argument("--host", default="127.0.0.1", help="监听地址（默认 127.0.0.1，仅本机可访问）")
    p.add_argument("--port", type=int, default=8000, help="端口（默认 8000）")
    p.add_argument("--with-sample", action="store_true", help="启动前把自带的示例报告检查入库（试用）")
    p.add_argument("--max-upload-mb", type=int, default=50, metavar="N", help="一次上传的最大大小（MB，默认 50）")
    p.set_defaults(func=_cmd_serve)

    user = sub.add_parser("user", help="管理网页工作台的用户")
    usub = user.add_subparsers(dest="user_command", metavar="子命令")
    u = usub.add_parser("add", help="新增用户或修改其角色和密码（密码从提示输入，或从标准输入读取一行）")
    u.add_argument("name", metavar="NAME", help="用户名")
    u.add_argument("--role", required=True, choices=["admin", "reviewer", "viewer"],
                   help="角色：admin 管理员，reviewer 复核人员，viewer 只读")
    u.add_argument("--db", default=None, help="审核数据库（默认取 NIANBAO_DB）")
    u.set_defaults(func=_cmd_user_add)
    user.set_defaults(func=lambda a: (user.print_help(), EXIT_USAGE)[1])
